// COpenBLAS: the CBLAS interface of OpenBLAS (Debian's libopenblas-dev, found through pkg-config `openblas`).
//
// cblas.h also declares OpenBLAS's own controls, among them openblas_set_num_threads and
// openblas_get_num_threads. Nothing here is a macro, so no shim functions are needed.
#ifndef MELISSA_COPENBLAS_SHIM_H
#define MELISSA_COPENBLAS_SHIM_H

#include <cblas.h>

#endif
