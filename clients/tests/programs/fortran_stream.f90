! Streams a known pattern through the Fortran module (clients/tests/run-client-tests):
! rank r holds 5 + r values of two fields; value k of the global field at step t is
! k + 1000 t for "pressure" (float64) and k + 1000 t + 0.5 for "density" (float32).
! Time steps come from MELISSA_TIME_STEPS. Exit status 0 on success.
program fortran_stream
    use mpi
    use, intrinsic :: iso_c_binding
    use melissa_client
    implicit none
    integer :: ierr, rank, nranks, status, steps, t, k, offset
    integer :: local
    real(c_double), allocatable :: pressure(:)
    real(c_float), allocatable :: density(:)
    character(len=32) :: text

    call MPI_Init(ierr)
    call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
    call MPI_Comm_size(MPI_COMM_WORLD, nranks, ierr)
    call get_environment_variable('MELISSA_TIME_STEPS', text)
    read (text, *) steps

    local = 5 + rank
    offset = 5*rank + (rank*(rank - 1))/2
    allocate (pressure(local), density(local))

    status = melissa_init('pressure', int(local, c_size_t), MPI_COMM_WORLD)
    call check(status, 'melissa_init pressure')
    status = melissa_init('density', int(local, c_size_t), MPI_COMM_WORLD)
    call check(status, 'melissa_init density')
    do t = 0, steps - 1
        do k = 1, local
            pressure(k) = real(offset + k - 1 + 1000*t, c_double)
            density(k) = real(offset + k - 1 + 1000*t, c_float) + 0.5_c_float
        end do
        status = melissa_send('pressure', pressure)
        call check(status, 'melissa_send pressure')
        status = melissa_send('density', density)
        call check(status, 'melissa_send density')
    end do
    status = melissa_finalize()
    call check(status, 'melissa_finalize')
    if (rank == 0) print '(a,i0,a)', 'fortran_stream: sent ', steps, ' steps'
    call MPI_Finalize(ierr)

contains

    subroutine check(code, what)
        integer, intent(in) :: code
        character(len=*), intent(in) :: what
        integer :: e
        if (code /= MELISSA_OK) then
            print '(a,i0,a,a,a,a)', 'fortran_stream: rank ', rank, ': ', what, ': ', melissa_last_error()
            call MPI_Abort(MPI_COMM_WORLD, 1, e)
        end if
    end subroutine check
end program fortran_stream
