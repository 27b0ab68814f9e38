#ifndef FACEHARVEST_CFFMPEG_SHIM_H
#define FACEHARVEST_CFFMPEG_SHIM_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/// AVERROR_EOF is a macro built from FFERRTAG; Swift cannot import it, so re-export it.
static inline int cffmpeg_averror_eof(void) { return AVERROR_EOF; }

/// AVERROR(EAGAIN): "output is not available in this state, send more input".
static inline int cffmpeg_averror_eagain(void) { return AVERROR(EAGAIN); }

/// AVERROR_INVALIDDATA, reported for corrupt or truncated streams.
static inline int cffmpeg_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }

/// AV_NOPTS_VALUE is a casted 64-bit macro Swift cannot import.
static inline int64_t cffmpeg_nopts_value(void) { return AV_NOPTS_VALUE; }

/// av_err2str is a macro around a compound literal; this writes the message into `buffer`.
static inline const char *cffmpeg_error_string(int code, char *buffer, size_t size) {
  return av_make_error_string(buffer, size, code);
}

#endif
