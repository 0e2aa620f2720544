// OpenSSL's libcrypto, for SHA-256 with the processor's SHA extensions.
#include <openssl/evp.h>
