/*
 * alloc_count.c - count heap allocations by replacing glibc's malloc
 * family with thin wrappers around glibc's own implementation.
 *
 * Defining malloc() in the executable interposes it for every caller in
 * the process: our code, libc itself, libstdc++'s operator new, and shared
 * libraries such as libtorrent-rasterbar.  (ld --wrap=malloc would only
 * see calls from the objects linked statically, and would miss an
 * allocation hidden in, say, strdup() or operator new.)  glibc exports its
 * allocator as __libc_malloc and friends, so the wrappers need no dlsym().
 */
#include <errno.h>
#include <stddef.h>

#include "bench.h"

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
void *memalign(size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
int posix_memalign(void **out, size_t align, size_t n);

static unsigned long long allocs;

void bench_alloc_reset(void)
{
	allocs = 0;
}

unsigned long long bench_alloc_count(void)
{
	return allocs;
}

static void count(void)
{
	allocs++;
}

void *malloc(size_t n)
{
	count();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	count();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	count();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	count();
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	count();
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	count();
	p = __libc_memalign(align, n);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}
