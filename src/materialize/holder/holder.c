/*
 * The secrets holder: the only program in the composec-secrets-holder image (FROM scratch).
 *
 * It runs as PID 1 of a container that keeps a project's tmpfs volume mounted, and does the two
 * file operations the Engine API cannot do on that volume (the archive API only reads and writes):
 *
 *   holder                      wait for SIGTERM, SIGINT or SIGHUP, then exit 0
 *   holder serve DIR            the same, and carry out the requests in DIR at start and on each SIGUSR1
 *   holder mv SRC DST [...]     rename each pair, in order; stop at the first failure
 *   holder rm PATH [...]        remove each path recursively; a missing path is fine
 *   anything else               exit 22 (EINVAL)
 *
 * Exit status: 0, or the errno of the first failure, so the caller can name it.
 *
 * A request saves the caller an exec (create, start, wait: the slowest calls of a delivery): it
 * uploads `NAME.req` into DIR after the files it names, then sends SIGUSR1 (a signal costs the
 * engine no new process). The file holds NUL-terminated words: "composec-request-1", then
 * operations ("mv" SRC DST, "rm" PATH) and "end". Each complete request is carried out in order,
 * stopping at the first failure; then its file is removed (done), or cut to the length of the errno
 * and renamed NAME.failed: the caller stats NAME.req until it is gone, then NAME.failed once, and
 * staging is left empty when all went well. A request without its "end" is still
 * being uploaded and waits for the next signal; signals that come together are one, so every
 * request present is carried out at each.
 *
 * Freestanding on purpose: no libc, only raw system calls, so the image holds one file of a few
 * hundred bytes with nothing in it to exploit, and composec can carry it for amd64 and arm64
 * (scripts/build-holder.sh builds both; src/materialize/holder/executables.ts carries them).
 */
/*
 * Numbers from the kernel's own headers, for the architecture being built: they differ between
 * x86_64 and aarch64 (system calls, and O_DIRECTORY / O_NOFOLLOW).
 */
#include <asm/unistd.h>
#include <asm/errno.h>
#include <linux/fcntl.h>
#include <asm/signal.h>

/* The kernel's own sigset: one 64-bit word (the size rt_sig* calls are given). */
typedef unsigned long sigset;

/* One system call with up to four arguments; returns the result or -errno, as the kernel does. */
#if defined(__x86_64__)
static long sys(long n, long a, long b, long c, long d) {
  register long r10 __asm__("r10") = d;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
/* The kernel starts us with argc at the stack pointer and argv after it: hand that pointer to C. */
__asm__(".text\n.globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start\n  hlt\n");
#elif defined(__aarch64__)
static long sys(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
__asm__(".text\n.globl _start\n_start:\n  mov x0, sp\n  bl start\n  brk #0\n");
#else
#error "the holder is built for x86_64 and aarch64 only"
#endif

static __attribute__((noreturn)) void quit(long status) {
  for (;;) sys(__NR_exit, status, 0, 0, 0);
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/*
 * PID 1 of a container gets no default action for signals, so an ordinary program would make
 * `docker stop` wait its whole grace period and then SIGKILL. Blocked signals are still queued
 * for PID 1, so blocking the stop signals and waiting for one makes the stop immediate.
 */
static long wait_for_stop(void) {
  sigset set = (1UL << (SIGHUP - 1)) | (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1));
  long r = sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, sizeof set);
  if (r < 0) return -r;
  for (;;) {
    r = sys(__NR_rt_sigtimedwait, (long)&set, 0, 0, sizeof set);
    if (r > 0) return 0;
    if (r != -EINTR && r != -EAGAIN) return -r;
  }
}

/* Whether `path` has a ".." component: requests name paths below the volume, never above. */
static int climbs(const char *path) {
  for (const char *p = path; *p;) {
    if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0)) return 1;
    while (*p && *p != '/') p++;
    while (*p == '/') p++;
  }
  return 0;
}

/* rename(2) each pair in order: the staging area and the live tree share one tmpfs, so each is atomic. */
static long move(int count, char **args) {
  if (count == 0 || count % 2 != 0) return EINVAL;
  for (int i = 0; i < count; i += 2) {
    long r = sys(__NR_renameat, AT_FDCWD, (long)args[i], AT_FDCWD, (long)args[i + 1]);
    if (r < 0) return -r;
  }
  return 0;
}

/* The kernel's getdents64 record. */
struct dirent64 {
  unsigned long long ino;
  long long off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

/*
 * Removes `name` (relative to the directory `dir`) and everything under it. unlinkat fails with
 * EISDIR on a directory: then its entries go first. Symbolic links are removed, never followed
 * (O_NOFOLLOW), so nothing outside the tree is touched.
 */
static long remove_tree(int dir, const char *name) {
  long r = sys(__NR_unlinkat, dir, (long)name, 0, 0);
  if (r == 0 || r == -ENOENT) return 0;
  if (r != -EISDIR) return -r;
  long fd = sys(__NR_openat, dir, (long)name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd == -ENOENT) return 0;
  if (fd < 0) return -fd;
  char buffer[2048] __attribute__((aligned(8)));
  long status = 0;
  /* Read from the start again after each batch: removing entries while reading on would skip some. */
  for (;;) {
    r = sys(__NR_lseek, fd, 0, 0, 0);
    if (r >= 0) r = sys(__NR_getdents64, fd, (long)buffer, sizeof buffer, 0);
    if (r < 0) { status = -r; break; }
    int removed = 0;
    for (long at = 0; at < r;) {
      struct dirent64 *entry = (struct dirent64 *)(buffer + at);
      at += entry->reclen;
      if (same(entry->name, ".") || same(entry->name, "..")) continue;
      status = remove_tree((int)fd, entry->name);
      if (status != 0) break;
      removed++;
    }
    if (status != 0 || removed == 0) break;
  }
  sys(__NR_close, fd, 0, 0, 0);
  if (status != 0) return status;
  r = sys(__NR_unlinkat, dir, (long)name, AT_REMOVEDIR, 0);
  return r < 0 && r != -ENOENT ? -r : 0;
}

static long remove_all(int count, char **args) {
  if (count == 0) return EINVAL;
  for (int i = 0; i < count; i++) {
    long status = remove_tree(AT_FDCWD, args[i]);
    if (status != 0) return status;
  }
  return 0;
}

/* One request's words, as read: the largest request carried out is this size (E2BIG beyond). */
static char request[1 << 20];
#define MAX_WORDS 65536
static char *words[MAX_WORDS];

/* Carries out the request in the open file `fd`; returns -1 while it is incomplete, else an errno (0: done). */
static long carry_out(long fd) {
  long size = 0;
  for (;;) {
    if (size == (long)sizeof request) return E2BIG;
    long r = sys(__NR_read, fd, (long)(request + size), sizeof request - size, 0);
    if (r < 0) return -r;
    if (r == 0) break;
    size += r;
  }
  int count = 0;
  for (long at = 0; at < size;) {
    long end = at;
    while (end < size && request[end]) end++;
    if (end == size) return -1; /* a word without its NUL: still being written */
    if (count == MAX_WORDS) return E2BIG;
    words[count++] = request + at;
    at = end + 1;
  }
  if (count < 2 || !same(words[count - 1], "end")) return -1;
  if (!same(words[0], "composec-request-1")) return EINVAL;
  for (int i = 1; i < count - 1; i++) {
    if (same(words[i], "mv") && i + 2 < count - 1) {
      if (climbs(words[i + 1]) || climbs(words[i + 2])) return EINVAL;
      long status = move(2, words + i + 1);
      if (status != 0) return status;
      i += 2;
    } else if (same(words[i], "rm") && i + 1 < count - 1) {
      if (climbs(words[i + 1])) return EINVAL;
      long status = remove_tree(AT_FDCWD, words[i + 1]);
      if (status != 0) return status;
      i += 1;
    } else {
      return EINVAL;
    }
  }
  return 0;
}

/* Whether `name` ends in ".req"; if so, `done` gets the name with ".failed" instead. */
static int request_name(const char *name, char *done, long room) {
  long n = 0;
  while (name[n]) n++;
  if (n <= 4 || n + 4 > room) return 0;
  if (!same(name + n - 4, ".req")) return 0;
  for (long i = 0; i < n - 4; i++) done[i] = name[i];
  const char *tail = ".failed";
  for (int i = 0; i < 8; i++) done[n - 4 + i] = tail[i];
  return 1;
}

/* Carries out every complete request in `dir`, reading it again from the start until a pass finds none. */
static void carry_out_all(const char *dir) {
  long dfd = sys(__NR_openat, AT_FDCWD, (long)dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd < 0) return; /* no staging yet: nothing was asked */
  char buffer[2048] __attribute__((aligned(8)));
  char done[256];
  /* Renaming while reading may skip an entry: a pass that handled any is followed by another. */
  for (int handled = 1, passes = 0; handled && passes < 1000; passes++) {
    handled = 0;
    if (sys(__NR_lseek, dfd, 0, 0, 0) < 0) break;
    for (;;) {
      long r = sys(__NR_getdents64, dfd, (long)buffer, sizeof buffer, 0);
      if (r <= 0) break;
      for (long at = 0; at < r;) {
        struct dirent64 *entry = (struct dirent64 *)(buffer + at);
        at += entry->reclen;
        if (!request_name(entry->name, done, sizeof done)) continue;
        long fd = sys(__NR_openat, dfd, (long)entry->name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) continue;
        long status = carry_out(fd);
        if (status == 0) {
          sys(__NR_unlinkat, dfd, (long)entry->name, 0, 0);
          handled++;
        } else if (status > 0) {
          /* The errno as the length: the caller reads it with a stat, without reading the file. */
          sys(__NR_ftruncate, fd, status, 0, 0);
          sys(__NR_renameat, dfd, (long)entry->name, dfd, (long)done);
          handled++;
        }
        sys(__NR_close, fd, 0, 0, 0);
      }
    }
  }
  sys(__NR_close, dfd, 0, 0, 0);
}

/* Waits like wait_for_stop, carrying out the requests in `dir` at start and at each SIGUSR1. */
static long serve(const char *dir) {
  sigset stops = (1UL << (SIGHUP - 1)) | (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1));
  sigset set = stops | (1UL << (SIGUSR1 - 1));
  long r = sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, sizeof set);
  if (r < 0) return -r;
  for (;;) {
    /* Blocked first, then looked: a request uploaded before we blocked is found here. */
    carry_out_all(dir);
    for (;;) {
      r = sys(__NR_rt_sigtimedwait, (long)&set, 0, 0, sizeof set);
      if (r == SIGUSR1) break;
      if (r > 0) return 0;
      if (r != -EINTR && r != -EAGAIN) return -r;
    }
  }
}

__attribute__((noreturn, used)) void start(long *stack) {
  int argc = (int)stack[0];
  char **argv = (char **)(stack + 1);
  if (argc <= 1) quit(wait_for_stop());
  if (same(argv[1], "serve")) quit(argc == 3 ? serve(argv[2]) : EINVAL);
  if (same(argv[1], "mv")) quit(move(argc - 2, argv + 2));
  if (same(argv[1], "rm")) quit(remove_all(argc - 2, argv + 2));
  quit(EINVAL);
}
