/*
 * The secrets holder: the only program in the composec-secrets-holder image (FROM scratch).
 *
 * It runs as PID 1 of a container that keeps a project's tmpfs volume mounted, and carries out
 * composec's reads and writes of that volume, asked over its own stdin and answered on its stdout
 * (composec attaches to the container: no new process on the engine per call, unlike an exec or
 * the archive API):
 *
 *   holder                      wait for SIGTERM, SIGINT or SIGHUP, then exit 0
 *   holder serve DIR            the same, serving the volume mounted at DIR over stdin/stdout
 *   anything else               exit 22 (EINVAL)
 *
 * Frames, both ways (little-endian; src/materialize/holder/frames.ts is the other side):
 *
 *   0  "CSH1"   4  body length   8  CRC-32 of bytes 12.. to the end   12  id (8 bytes)
 *   20 kind     21 flags (1: more reply frames follow)   22 status (errno)   24 seq   28 body
 *
 * Requests: META (the bookkeeping files in .meta with their bytes, and the paths present in
 * .meta/staging, services/ and files/), STAGE (a chunk of one file in .meta/staging), COMMIT (NUL-
 * terminated words: "dir" P, "own" P UID GID MODE (0..0777), "rm" P, "mv" A B; carried out in order, stopping
 * at the first failure), VALUES (.meta/configs.json and every file below services/ and files/, with
 * their bytes). A reply has
 * the request's id, kind | 0x80, and the errno of a failure as its status.
 *
 * Several clients may be attached at once, and the engine merges their stdin at any byte, so: a
 * frame with a bad CRC, or one that stalls for STALL_MS, loses its first byte and the stream is
 * searched again for the magic; the client sends again what got no reply. Stage chunks are
 * idempotent (pwrite at an offset); a COMMIT already carried out is answered again from the ids
 * remembered, never done twice. Every attached client gets every reply, and ignores foreign ids.
 *
 * Freestanding on purpose: no libc, only raw system calls, so the image holds one small file with
 * nothing in it to exploit, and composec can carry it for amd64 and arm64
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
#include <asm-generic/poll.h>

/* The kernel's own sigset: one 64-bit word (the size rt_sig* calls are given). */
typedef unsigned long sigset;

/* One system call with up to five arguments; returns the result or -errno, as the kernel does. */
#if defined(__x86_64__)
static long sys5(long n, long a, long b, long c, long d, long e) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return ret;
}
/* The kernel starts us with argc at the stack pointer and argv after it: hand that pointer to C. */
__asm__(".text\n.globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start\n  hlt\n");
#elif defined(__aarch64__)
static long sys5(long n, long a, long b, long c, long d, long e) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
}
__asm__(".text\n.globl _start\n_start:\n  mov x0, sp\n  bl start\n  brk #0\n");
#else
#error "the holder is built for x86_64 and aarch64 only"
#endif

static long sys(long n, long a, long b, long c, long d) { return sys5(n, a, b, c, d, 0); }

static __attribute__((noreturn)) void quit(long status) {
  for (;;) sys(__NR_exit, status, 0, 0, 0);
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static void copy(char *to, const char *from, long n) {
  for (long i = 0; i < n; i++) to[i] = from[i];
}

static long length(const char *s) {
  long n = 0;
  while (s[n]) n++;
  return n;
}

#define STOP_SIGNALS ((1UL << (SIGHUP - 1)) | (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1)))

/*
 * PID 1 of a container gets no default action for signals, so an ordinary program would make
 * `docker stop` wait its whole grace period and then SIGKILL. Blocked signals are still queued
 * for PID 1, so blocking the stop signals and waiting for one makes the stop immediate.
 */
static long wait_for_stop(void) {
  sigset set = STOP_SIGNALS;
  long r = sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, sizeof set);
  if (r < 0) return -r;
  for (;;) {
    r = sys(__NR_rt_sigtimedwait, (long)&set, 0, 0, sizeof set);
    if (r > 0) return 0;
    if (r != -EINTR && r != -EAGAIN) return -r;
  }
}

/* Whether `path` may be named by a request: relative, non-empty, without a ".." component. */
static int allowed(const char *path) {
  if (path[0] == 0 || path[0] == '/') return 0;
  for (const char *p = path; *p;) {
    if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0)) return 0;
    while (*p && *p != '/') p++;
    while (*p == '/') p++;
  }
  return 1;
}

/* The kernel's getdents64 record. */
struct dirent64 {
  unsigned long long ino;
  long long off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};
#define DT_DIR 4
#define DT_REG 8

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

/* ---- frames ---- */

#define HEADER 28
#define MAX_BODY ((1 << 20) + (64 << 10))
#define STALL_MS 300
enum { META = 1, STAGE = 2, COMMIT = 3, VALUES = 4 };
#define MORE 1

static unsigned crc_table[256];

static void crc_init(void) {
  for (unsigned n = 0; n < 256; n++) {
    unsigned c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static unsigned crc32(const unsigned char *p, long n) {
  unsigned c = 0xffffffffu;
  for (long i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static unsigned get32(const unsigned char *p) {
  return p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

static void put32(unsigned char *p, unsigned v) {
  p[0] = v, p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24;
}

/* Everything on fd 1, across short writes; a reply nobody reads is lost, never fatal. */
static void write_all(const unsigned char *p, long n) {
  while (n > 0) {
    long r = sys(__NR_write, 1, (long)p, n, 0);
    if (r == -EINTR) continue;
    if (r <= 0) return;
    p += r, n -= r;
  }
}

/* The reply being built: one frame's header and body; flushed with MORE when a record does not fit. */
static unsigned char out[HEADER + MAX_BODY];
static long out_len;
static unsigned out_seq;
static const unsigned char *out_id;
static int out_kind;

static void reply_start(const unsigned char *id, int kind) {
  out_id = id, out_kind = kind, out_seq = 0, out_len = 0;
}

static void reply_flush(int flags, long status) {
  static const char magic[4] = {'C', 'S', 'H', '1'};
  copy((char *)out, magic, 4);
  put32(out + 4, (unsigned)out_len);
  copy((char *)out + 12, (const char *)out_id, 8);
  out[20] = (unsigned char)(out_kind | 0x80);
  out[21] = (unsigned char)flags;
  out[22] = status & 0xff, out[23] = (status >> 8) & 0xff;
  put32(out + 24, out_seq++);
  put32(out + 8, crc32(out + 12, HEADER - 12 + out_len));
  write_all(out, HEADER + out_len);
  out_len = 0;
}

/*
 * Appends one file's record (path, total size, offset, chunk) for the regular file `name` in `dir`,
 * its bytes too when `bytes`: split over as many frames as its size needs.
 */
static long reply_file(int dir, const char *name, const char *path, int bytes) {
  long plen = length(path);
  long fd = sys(__NR_openat, dir, (long)name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return fd == -ENOENT ? 0 : -fd;
  long total = bytes ? sys(__NR_lseek, fd, 0, 2 /* SEEK_END */, 0) : 0;
  long status = total < 0 ? -total : 0;
  for (long offset = 0; status == 0;) {
    if (MAX_BODY - out_len < 16 + plen + 1) reply_flush(MORE, 0);
    unsigned char *record = out + HEADER + out_len;
    long room = MAX_BODY - out_len - 16 - plen;
    long chunk = total - offset < room ? total - offset : room;
    long got = 0;
    while (got < chunk) {
      long r = sys(__NR_pread64, fd, (long)(record + 16 + plen + got), chunk - got, offset + got);
      if (r == -EINTR) continue;
      if (r <= 0) { status = r < 0 ? -r : EIO; break; }
      got += r;
    }
    if (status != 0) break;
    put32(record, (unsigned)plen);
    put32(record + 4, (unsigned)total);
    put32(record + 8, (unsigned)offset);
    put32(record + 12, (unsigned)chunk);
    copy((char *)record + 16, path, plen);
    out_len += 16 + plen + chunk;
    offset += chunk;
    if (offset >= total) break;
  }
  sys(__NR_close, fd, 0, 0, 0);
  return status;
}

/* Records for every regular file under `path` (a directory; absent is fine), recursively. */
static long reply_tree(int dir, const char *name, char *path, long plen, int bytes) {
  long fd = sys(__NR_openat, dir, (long)name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd == -ENOENT || fd == -ENOTDIR) return 0;
  if (fd < 0) return -fd;
  char buffer[2048] __attribute__((aligned(8)));
  long status = 0;
  for (;;) {
    long r = sys(__NR_getdents64, fd, (long)buffer, sizeof buffer, 0);
    if (r < 0) status = -r;
    if (r <= 0) break;
    for (long at = 0; at < r && status == 0;) {
      struct dirent64 *entry = (struct dirent64 *)(buffer + at);
      at += entry->reclen;
      if (same(entry->name, ".") || same(entry->name, "..")) continue;
      long n = length(entry->name);
      if (plen + 1 + n + 1 > 4096) { status = ENAMETOOLONG; break; }
      path[plen] = '/';
      copy(path + plen + 1, entry->name, n + 1);
      if (entry->type == DT_DIR) status = reply_tree((int)fd, entry->name, path, plen + 1 + n, bytes);
      else if (entry->type == DT_REG) status = reply_file((int)fd, entry->name, path, bytes);
      path[plen] = 0;
    }
    if (status != 0) break;
  }
  sys(__NR_close, fd, 0, 0, 0);
  return status;
}

static long reply_trees(const char *const *roots, int count, int bytes) {
  char path[4096];
  for (int i = 0; i < count; i++) {
    long n = length(roots[i]);
    copy(path, roots[i], n + 1);
    long status = reply_tree(AT_FDCWD, roots[i], path, n, bytes);
    if (status != 0) return status;
  }
  return 0;
}

static void do_meta(const unsigned char *id) {
  static const char *const names[] = {".meta/key", ".meta/digests.json", ".meta/configs.json"};
  static const char *const trees[] = {".meta/staging", "services", "files"};
  reply_start(id, META);
  long status = 0;
  for (int i = 0; i < 3 && status == 0; i++) status = reply_file(AT_FDCWD, names[i], names[i], 1);
  if (status == 0) status = reply_trees(trees, 3, 0);
  if (status != 0) out_len = 0;
  reply_flush(0, status);
}

static void do_values(const unsigned char *id) {
  static const char *const trees[] = {"services", "files"};
  reply_start(id, VALUES);
  /* The config list too, in the same reply: the files it names are not secret (not masked). */
  long status = reply_file(AT_FDCWD, ".meta/configs.json", ".meta/configs.json", 1);
  if (status == 0) status = reply_trees(trees, 2, 1);
  if (status != 0) out_len = 0;
  reply_flush(0, status);
}

static void reply_status(const unsigned char *id, int kind, long status) {
  reply_start(id, kind);
  reply_flush(0, status);
}

/* A staged file's name: one component of letters, digits, '-', '_' and '.', not "." or "..". */
static int stage_name(const char *name, long n) {
  if (n == 0 || n > 200 || same(name, ".") || same(name, "..")) return 0;
  for (long i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

/* Body: total, offset (u32 each), the name NUL-terminated, the chunk. The file is root's, 0600, until "own". */
static long do_stage(const unsigned char *body, long n) {
  if (n < 9) return EINVAL;
  unsigned total = get32(body), offset = get32(body + 4);
  const char *name = (const char *)body + 8;
  long nlen = 0;
  while (8 + nlen < n && name[nlen]) nlen++;
  if (8 + nlen == n || !stage_name(name, nlen)) return EINVAL;
  const unsigned char *chunk = body + 8 + nlen + 1;
  long size = n - (8 + nlen + 1);
  if ((unsigned long)offset + size > total) return EINVAL;
  /* 0700 root: the staging directory of the layout (src/materialize/layout.ts). */
  long r = sys(__NR_mkdirat, AT_FDCWD, (long)".meta", 0700, 0);
  if (r < 0 && r != -EEXIST) return -r;
  r = sys(__NR_mkdirat, AT_FDCWD, (long)".meta/staging", 0700, 0);
  if (r < 0 && r != -EEXIST) return -r;
  long dir = sys(__NR_openat, AT_FDCWD, (long)".meta/staging", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (dir < 0) return -dir;
  long fd = sys(__NR_openat, dir, (long)name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  sys(__NR_close, dir, 0, 0, 0);
  if (fd < 0) return -fd;
  /* The size first, then the chunk at its place: a chunk sent twice writes the same bytes twice. */
  long status = 0;
  r = sys(__NR_ftruncate, fd, total, 0, 0);
  if (r < 0) status = -r;
  for (long done = 0; status == 0 && done < size;) {
    r = sys(__NR_pwrite64, fd, (long)(chunk + done), size - done, offset + done);
    if (r == -EINTR) continue;
    if (r <= 0) status = r < 0 ? -r : EIO;
    else done += r;
  }
  sys(__NR_close, fd, 0, 0, 0);
  return status;
}

static long number(const char *word, unsigned long *value) {
  unsigned long v = 0;
  if (!*word) return 0;
  for (; *word; word++) {
    if (*word < '0' || *word > '9' || v > 0xffffffffUL) return 0;
    v = v * 10 + (unsigned long)(*word - '0');
  }
  *value = v;
  return v <= 0xffffffffUL;
}

#define MAX_WORDS 65536
static const char *words[MAX_WORDS];

/* Body: NUL-terminated words; every op is checked before the first is carried out. */
static long do_commit(const unsigned char *body, long n) {
  if (n == 0 || body[n - 1] != 0) return EINVAL;
  int count = 0;
  for (long at = 0; at < n;) {
    if (count == MAX_WORDS) return E2BIG;
    words[count++] = (const char *)body + at;
    at += length((const char *)body + at) + 1;
  }
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < count;) {
      const char *op = words[i];
      int args = same(op, "mv") ? 2 : same(op, "rm") || same(op, "dir") ? 1 : same(op, "own") ? 4 : -1;
      if (args < 0 || i + args >= count) return EINVAL;
      const char *const *a = words + i + 1;
      unsigned long uid = 0, gid = 0, mode = 0;
      if (!allowed(a[0]) || (args == 2 && !allowed(a[1]))) return EINVAL;
      /*
       * Permission bits only: setuid, setgid and sticky are refused, as the spec refuses them. They
       * would not survive anyway: the chown after the chmod clears setuid/setgid, and a chmod after
       * the chown needs CAP_FOWNER, which the holder does not have.
       */
      if (args == 4 && (!number(a[1], &uid) || !number(a[2], &gid) || !number(a[3], &mode) || mode > 0777))
        return EINVAL;
      i += 1 + args;
      if (pass == 0) continue;
      long r = 0;
      if (args == 2) {
        /* The staging area and the live tree share one tmpfs: each rename is atomic. */
        r = sys(__NR_renameat, AT_FDCWD, (long)a[0], AT_FDCWD, (long)a[1]);
      } else if (same(op, "rm")) {
        r = -remove_tree(AT_FDCWD, a[0]);
      } else if (args == 1) {
        r = sys(__NR_mkdirat, AT_FDCWD, (long)a[0], 0755, 0);
        if (r == -EEXIST) r = 0;
      } else {
        /* The mode first, while the holder still owns the file; then the owner (CAP_CHOWN). */
        r = sys(__NR_fchmodat, AT_FDCWD, (long)a[0], (long)mode, 0);
        if (r == 0) r = sys5(__NR_fchownat, AT_FDCWD, (long)a[0], (long)uid, (long)gid, AT_SYMLINK_NOFOLLOW);
      }
      if (r < 0) return -r;
    }
  }
  return 0;
}

/* The last commits carried out, by id, with their status: one sent again is answered, not redone. */
#define REMEMBERED 256
static unsigned char done_ids[REMEMBERED][8];
static long done_status[REMEMBERED];
static int done_count, done_next;

static long remembered(const unsigned char *id) {
  for (int i = 0; i < done_count; i++) {
    int k = 0;
    while (k < 8 && done_ids[i][k] == id[k]) k++;
    if (k == 8) return i;
  }
  return -1;
}

static void handle(const unsigned char *frame, long n) {
  const unsigned char *id = frame + 12;
  int kind = frame[20];
  const unsigned char *body = frame + HEADER;
  if (kind == META) do_meta(id);
  else if (kind == VALUES) do_values(id);
  else if (kind == STAGE) reply_status(id, kind, do_stage(body, n));
  else if (kind == COMMIT) {
    long at = remembered(id);
    if (at < 0) {
      at = done_next;
      copy((char *)done_ids[at], (const char *)id, 8);
      done_status[at] = do_commit(body, n);
      done_next = (done_next + 1) % REMEMBERED;
      if (done_count < REMEMBERED) done_count++;
    }
    reply_status(id, kind, done_status[at]);
  } else reply_status(id, kind, EINVAL);
}

/* What came on stdin, from `in_start` to `in_end`; whole frames are taken from the front. */
static unsigned char in[HEADER + MAX_BODY + (64 << 10)];
static long in_start, in_end;

/* Carries out every whole frame at the front; drops a byte wherever no valid frame starts. */
static void take_frames(void) {
  for (;;) {
    while (in_start < in_end && in[in_start] != 'C') in_start++;
    long avail = in_end - in_start;
    const unsigned char *p = in + in_start;
    if (avail == 0) break;
    static const char magic[4] = {'C', 'S', 'H', '1'};
    long k = 0;
    while (k < 4 && k < avail && p[k] == (unsigned char)magic[k]) k++;
    if (k < 4 && k < avail) { in_start++; continue; }
    if (avail < HEADER) break;
    long n = get32(p + 4);
    if (n > MAX_BODY) { in_start++; continue; }
    if (avail < HEADER + n) break;
    if (crc32(p + 12, HEADER - 12 + n) != get32(p + 8) || (p[20] & 0x80)) { in_start++; continue; }
    handle(p, n);
    in_start += HEADER + n;
  }
  if (in_start == in_end) in_start = in_end = 0;
}

struct pollfd_k { int fd; short events, revents; };
struct timespec_k { long sec, nsec; };

/* Serves the volume at `dir` until a stop signal (kept blocked, read from a signalfd). */
static long serve(const char *dir) {
  long r = sys(__NR_chdir, (long)dir, 0, 0, 0);
  if (r < 0) return -r;
  sys(__NR_umask, 0, 0, 0, 0);
  crc_init();
  sigset set = STOP_SIGNALS;
  r = sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, sizeof set);
  if (r < 0) return -r;
  long sfd = sys(__NR_signalfd4, -1, (long)&set, sizeof set, O_CLOEXEC);
  if (sfd < 0) return -sfd;
  struct pollfd_k fds[2] = {{0, POLLIN, 0}, {(int)sfd, POLLIN, 0}};
  for (;;) {
    struct timespec_k stall = {0, STALL_MS * 1000000L};
    fds[0].revents = fds[1].revents = 0;
    /* A frame begun but not whole waits STALL_MS for its next byte, else loses its first byte. */
    r = sys5(__NR_ppoll, (long)fds, 2, in_end > in_start ? (long)&stall : 0, 0, 0);
    if (r == -EINTR) continue;
    if (r < 0) return -r;
    if (fds[1].revents) return 0;
    if (r == 0) {
      in_start++;
      take_frames();
      continue;
    }
    if (fds[0].revents) {
      if (in_start > 0) {
        for (long i = in_start; i < in_end; i++) in[i - in_start] = in[i];
        in_end -= in_start, in_start = 0;
      }
      long got = sys(__NR_read, 0, (long)(in + in_end), (long)sizeof in - in_end, 0);
      if (got == -EINTR || got == -EAGAIN) continue;
      /* No stdin any more (or an error): only the stop signals are waited for now. */
      if (got <= 0) { fds[0].fd = -1; in_start = in_end = 0; continue; }
      in_end += got;
      take_frames();
    }
  }
}

__attribute__((noreturn, used)) void start(long *stack) {
  int argc = (int)stack[0];
  char **argv = (char **)(stack + 1);
  if (argc <= 1) quit(wait_for_stop());
  if (same(argv[1], "serve")) quit(argc == 3 ? serve(argv[2]) : EINVAL);
  quit(EINVAL);
}
