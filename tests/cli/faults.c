/* Faults for the CLI tests (build_faults in run_case.sh), preloaded with
 * LD_PRELOAD. Each is off unless its variable is set:
 *   FULL_FILE, FULL_AT  files whose path starts with FULL_FILE are on a
 *                       disk full at FULL_AT bytes: a write past it is
 *                       cut there, the next fails with ENOSPC
 *   FAIL_LINK_INTO      link() into a path holding it fails with
 *   FAIL_LINK_ERRNO     this errno (a number; EPERM, 1, by default)
 *   FAIL_FSYNC_OF       the first fsync() of a file whose path starts
 *                       with it fails with EIO
 *   FAIL_MKDTEMP_IN     mkdtemp() of a template starting with it fails
 *   FAIL_MKDTEMP_ERRNO  with this errno (a number; ENOSPC, 28, by default)
 *   FAIL_MALLOC_OVER    malloc() of more bytes fails (build with
 *                       -DFAIL_MALLOC; never under AddressSanitizer) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fd_starts_with(int fd, const char *prefix) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return 0;
    path[n] = '\0';
    return strncmp(path, prefix, strlen(prefix)) == 0;
}

ssize_t write(int fd, const void *data, size_t size) {
    ssize_t (*real)(int, const void *, size_t) =
        (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    const char *full = getenv("FULL_FILE");
    struct stat st;
    if (full && fd > 2 && fd_starts_with(fd, full) && fstat(fd, &st) == 0) {
        long long at = atoll(getenv("FULL_AT") ? getenv("FULL_AT") : "0");
        if (st.st_size >= at) {
            errno = ENOSPC;
            return -1;
        }
        if ((long long)(st.st_size + size) > at)
            size = (size_t)(at - st.st_size);
    }
    return real(fd, data, size);
}

int link(const char *from, const char *to) {
    int (*real)(const char *, const char *) =
        (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
    const char *broken = getenv("FAIL_LINK_INTO");
    if (broken && strstr(to, broken)) {
        const char *error = getenv("FAIL_LINK_ERRNO");
        errno = error ? atoi(error) : EPERM;
        return -1;
    }
    return real(from, to);
}

int fsync(int fd) {
    static int failed;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *broken = getenv("FAIL_FSYNC_OF");
    if (broken && !failed && fd_starts_with(fd, broken)) {
        failed = 1;
        errno = EIO;
        return -1;
    }
    return real(fd);
}

char *mkdtemp(char *template) {
    char *(*real)(char *) = (char *(*)(char *))dlsym(RTLD_NEXT, "mkdtemp");
    const char *broken = getenv("FAIL_MKDTEMP_IN");
    if (broken && strncmp(template, broken, strlen(broken)) == 0) {
        const char *error = getenv("FAIL_MKDTEMP_ERRNO");
        errno = error ? atoi(error) : ENOSPC;
        return NULL;
    }
    return real(template);
}

#ifdef FAIL_MALLOC
extern void *__libc_malloc(size_t);
void *malloc(size_t size) {
    const char *most = getenv("FAIL_MALLOC_OVER");
    if (most && size > (size_t)atoll(most)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(size);
}
#endif
