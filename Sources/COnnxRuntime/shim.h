#ifndef FACEHARVEST_CONNXRUNTIME_SHIM_H
#define FACEHARVEST_CONNXRUNTIME_SHIM_H

#include <onnxruntime/onnxruntime_c_api.h>

/// The API table for the version these headers describe. Headers at API 21 work with a newer
/// library: OrtGetApiBase()->GetApi(N) answers every N up to the library's own version.
static inline const OrtApi *connxruntime_api(void) {
  return OrtGetApiBase()->GetApi(ORT_API_VERSION);
}

/// ORT_API_VERSION is a macro; re-export it for diagnostics.
static inline uint32_t connxruntime_api_version(void) { return ORT_API_VERSION; }

/// The version string of the loaded shared library (not of the headers).
static inline const char *connxruntime_library_version(void) {
  return OrtGetApiBase()->GetVersionString();
}

#endif
