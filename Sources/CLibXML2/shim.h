// libxml2 headers for Swift. Debian builds libxml2 with ICU, whose headers clash
// with Foundation's ICU: include the version header first and drop the ICU flag.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
