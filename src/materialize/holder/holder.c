/*
 * The secrets holder: the only program in the composec-secrets-holder image (FROM scratch).
 *
 * It runs as PID 1 of a container that keeps a project's tmpfs volume mounted, and does the two
 * file operations the Engine API cannot do on that volume (the archive API only reads and writes):
 *
 *   holder                      wait for SIGTERM, SIGINT or SIGHUP, then exit 0
 *   holder mv SRC DST [...]     rename each pair, in order; stop at the first failure
 *   holder rm PATH [...]        remove each path recursively; a missing path is fine
 *   anything else               exit 22 (EINVAL)
 *
 * Exit status: 0, or the errno of the first failure, so the caller can name it.
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

__attribute__((noreturn, used)) void start(long *stack) {
  int argc = (int)stack[0];
  char **argv = (char **)(stack + 1);
  if (argc <= 1) quit(wait_for_stop());
  if (same(argv[1], "mv")) quit(move(argc - 2, argv + 2));
  if (same(argv[1], "rm")) quit(remove_all(argc - 2, argv + 2));
  quit(EINVAL);
}
