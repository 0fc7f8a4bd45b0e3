// The C string functions the kernel (and libfdt) need: lib/string.cpp in the kernel build, the C
// library's in the host build.
#pragma once
#include <stddef.h>

#if defined(KERNEL_HOST_BUILD)
#include <stdlib.h>
#include <string.h>
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
void* memchr(const void* s, int c, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);
unsigned long strtoul(const char* s, char** end, int base);
}
#endif
