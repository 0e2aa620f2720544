// zlib, for gzip-compressed downloads.
#include <zlib.h>
