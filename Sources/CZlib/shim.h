// zlib, for reading .gz inputs transparently (Debian/Ubuntu package zlib1g-dev).
#include <zlib.h>
