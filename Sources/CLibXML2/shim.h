#ifndef SHARED_BROWSER_CLIBXML2_SHIM_H
#define SHARED_BROWSER_CLIBXML2_SHIM_H

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <libxml/uri.h>
#include <libxml/dict.h>
#include <libxml/parserInternals.h>

/// `xmlFree` is a macro over a thread-local function pointer; Swift cannot call it.
static inline void cxml_free(void *p) { xmlFree(p); }

#endif
