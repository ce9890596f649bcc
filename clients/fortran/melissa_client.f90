! melissa client: the Fortran module over the C library (include/melissa/client.h).
!
!   use melissa_client
!   ierr = melissa_init('temperature', int(local_size, c_size_t), MPI_COMM_WORLD)
!   ierr = melissa_send('temperature', u)          ! real(c_double) or real(c_float) array
!   ierr = melissa_finalize()
!   if (ierr /= MELISSA_OK) print *, melissa_last_error()
!
! Link: mpif90 -I build/include ... -L build/lib -lmelissa_client_fortran -lmelissa_client
! The communicator is the Fortran handle (an integer, e.g. MPI_COMM_WORLD of `use mpi`,
! or comm%MPI_VAL of `use mpi_f08`); it is converted with MPI_Comm_f2c in C.
! Names are Fortran strings (trailing blanks are removed).
module melissa_client
    use, intrinsic :: iso_c_binding
    implicit none
    private

    integer, parameter, public :: MELISSA_OK = 0
    integer, parameter, public :: MELISSA_ERR_ARGUMENT = 1
    integer, parameter, public :: MELISSA_ERR_STATE = 2
    integer, parameter, public :: MELISSA_ERR_ENVIRONMENT = 3
    integer, parameter, public :: MELISSA_ERR_TIMEOUT = 4
    integer, parameter, public :: MELISSA_ERR_REFUSED = 5
    integer, parameter, public :: MELISSA_ERR_PROTOCOL = 6
    integer, parameter, public :: MELISSA_ERR_ZMQ = 7
    integer, parameter, public :: MELISSA_ERR_MPI = 8
    integer, parameter, public :: MELISSA_ERR_MEMORY = 9
    integer, parameter, public :: MELISSA_ERR_TOO_MANY_STEPS = 10

    public :: melissa_init, melissa_send, melissa_finalize, melissa_last_error, &
              melissa_set_time_steps, melissa_refuse_reason

    interface melissa_send
        module procedure melissa_send_double, melissa_send_single
    end interface melissa_send

    interface
        function c_melissa_init_f(name, local_size, comm) bind(c, name='melissa_init_f')
            import :: c_char, c_size_t, c_int
            character(kind=c_char), dimension(*), intent(in) :: name
            integer(c_size_t), value :: local_size
            integer(c_int), value :: comm
            integer(c_int) :: c_melissa_init_f
        end function c_melissa_init_f

        function c_melissa_send(name, values) bind(c, name='melissa_send')
            import :: c_char, c_double, c_int
            character(kind=c_char), dimension(*), intent(in) :: name
            real(c_double), dimension(*), intent(in) :: values
            integer(c_int) :: c_melissa_send
        end function c_melissa_send

        function c_melissa_send_float(name, values) bind(c, name='melissa_send_float')
            import :: c_char, c_float, c_int
            character(kind=c_char), dimension(*), intent(in) :: name
            real(c_float), dimension(*), intent(in) :: values
            integer(c_int) :: c_melissa_send_float
        end function c_melissa_send_float

        function c_melissa_set_time_steps(steps) bind(c, name='melissa_set_time_steps')
            import :: c_int32_t, c_int
            integer(c_int32_t), value :: steps
            integer(c_int) :: c_melissa_set_time_steps
        end function c_melissa_set_time_steps

        function c_melissa_finalize() bind(c, name='melissa_finalize')
            import :: c_int
            integer(c_int) :: c_melissa_finalize
        end function c_melissa_finalize

        function c_melissa_refuse_reason() bind(c, name='melissa_refuse_reason')
            import :: c_int
            integer(c_int) :: c_melissa_refuse_reason
        end function c_melissa_refuse_reason

        function c_melissa_last_error() bind(c, name='melissa_last_error')
            import :: c_ptr
            type(c_ptr) :: c_melissa_last_error
        end function c_melissa_last_error

        function c_strlen(s) bind(c, name='strlen')
            import :: c_ptr, c_size_t
            type(c_ptr), value :: s
            integer(c_size_t) :: c_strlen
        end function c_strlen
    end interface

contains

    ! Declares a field of local_size values on this rank; comm is a Fortran MPI handle.
    function melissa_init(field_name, local_size, comm) result(status)
        character(len=*), intent(in) :: field_name
        integer(c_size_t), intent(in) :: local_size
        integer, intent(in) :: comm
        integer :: status
        status = int(c_melissa_init_f(trim(field_name)//c_null_char, local_size, int(comm, c_int)))
    end function melissa_init

    ! Sends this rank's float64 chunk of one time step of a field.
    function melissa_send_double(field_name, values) result(status)
        character(len=*), intent(in) :: field_name
        real(c_double), dimension(*), intent(in) :: values
        integer :: status
        status = int(c_melissa_send(trim(field_name)//c_null_char, values))
    end function melissa_send_double

    ! Sends this rank's float32 chunk of one time step of a field.
    function melissa_send_single(field_name, values) result(status)
        character(len=*), intent(in) :: field_name
        real(c_float), dimension(*), intent(in) :: values
        integer :: status
        status = int(c_melissa_send_float(trim(field_name)//c_null_char, values))
    end function melissa_send_single

    ! Sets the number of time steps (instead of MELISSA_TIME_STEPS); before the first send.
    function melissa_set_time_steps(steps) result(status)
        integer, intent(in) :: steps
        integer :: status
        status = int(c_melissa_set_time_steps(int(steps, c_int32_t)))
    end function melissa_set_time_steps

    ! Sends finish, flushes (bounded by MELISSA_LINGER) and frees everything.
    function melissa_finalize() result(status)
        integer :: status
        status = int(c_melissa_finalize())
    end function melissa_finalize

    ! The reason of the server's last refusal (1 wrong token ... 6 finished), 0 if none.
    function melissa_refuse_reason() result(reason)
        integer :: reason
        reason = int(c_melissa_refuse_reason())
    end function melissa_refuse_reason

    ! The message of the last failure, as a Fortran string.
    function melissa_last_error() result(message)
        character(len=:), allocatable :: message
        type(c_ptr) :: p
        character(kind=c_char), pointer :: chars(:)
        integer :: n, i
        p = c_melissa_last_error()
        n = int(c_strlen(p))
        allocate (character(len=n) :: message)
        if (n == 0) return
        call c_f_pointer(p, chars, [n])
        do i = 1, n
            message(i:i) = chars(i)
        end do
    end function melissa_last_error

end module melissa_client
