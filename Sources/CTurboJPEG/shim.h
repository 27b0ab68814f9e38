#ifndef FACEHARVEST_CTURBOJPEG_SHIM_H
#define FACEHARVEST_CTURBOJPEG_SHIM_H

#include <stddef.h>
#include <turbojpeg.h>

#endif
