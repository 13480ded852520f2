#ifndef PROOFMARKET_CSOCKETSHIM_H
#define PROOFMARKET_CSOCKETSHIM_H
/// Platform calls that Glibc's Swift module does not export (epoll, accept4, eventfd),
/// plus flat copies of the structures that Swift cannot import well (`struct epoll_event`
/// is packed on x86_64), and three calls for spawning children (`Subprocess.swift`).
#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/// One readiness event, unpacked: the interest bits and the file descriptor it is for.
typedef struct pm_event {
    uint32_t events;
    int32_t fd;
} pm_event;

/// Interest and readiness bits, re-exported as plain constants.
extern const uint32_t PM_EPOLLIN;
extern const uint32_t PM_EPOLLOUT;
extern const uint32_t PM_EPOLLERR;
extern const uint32_t PM_EPOLLHUP;
extern const uint32_t PM_EPOLLRDHUP;
extern const uint32_t PM_EPOLLET;
extern const uint32_t PM_EPOLLEXCLUSIVE;

/// `epoll_create1(EPOLL_CLOEXEC)`.
int pm_epoll_create(void);
/// `epoll_ctl` with op ADD (1), MOD (3) or DEL (2), storing `fd` as the event's data.
int pm_epoll_ctl(int epfd, int op, int fd, uint32_t events);
/// `epoll_wait`, copying each packed `epoll_event` into `out`.
int pm_epoll_wait(int epfd, pm_event *out, int max, int timeout_ms);
/// `accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)`.
int pm_accept(int fd);
/// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
int pm_eventfd(void);
/// `send(fd, buf, len, MSG_NOSIGNAL)`.
ssize_t pm_send(int fd, const void *buf, size_t len);
/// `sendmsg` of `count` iovecs with MSG_NOSIGNAL: writev that never raises SIGPIPE.
ssize_t pm_writev(int fd, const struct iovec *iov, int count);
/// Returns the current value of errno (Swift's `errno` works too; this keeps call sites uniform).
int pm_errno(void);
/// Makes a TCP listening socket bound to `host:port` (IPv4 dotted quad), non-blocking, with
/// SO_REUSEADDR and, when `reuse_port` is set, SO_REUSEPORT. Returns the fd or -errno.
int pm_listen_tcp(const char *host, int port, int backlog, int reuse_port);
/// Connects a non-blocking TCP socket to `host:port` (IPv4). Returns the fd or -errno;
/// the connect may still be in progress (EINPROGRESS) when this returns.
int pm_connect_tcp(const char *host, int port);
/// Returns the local port of a bound socket, or -1.
int pm_local_port(int fd);
/// Sets TCP_NODELAY on a socket.
int pm_set_nodelay(int fd);
/// Returns the pending socket error (SO_ERROR), for a non-blocking connect.
int pm_socket_error(int fd);
/// Writes the peer address of `fd` as "a.b.c.d:port" into `out`; returns 0 on success.
int pm_peer_name(int fd, char *out, int cap);
/// Names the calling thread (at most 15 characters are kept), for `top -H` and debuggers.
int pm_set_thread_name(const char *name);
/// Adds a spawn action that closes every descriptor from `lowest` up in the child
/// (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34+), so a child inherits nothing the
/// parent did not hand it on purpose: no pipe, socket or listener of another thread.
int pm_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);
/// Adds a spawn action that makes `path` the child's working directory
/// (`posix_spawn_file_actions_addchdir_np`, glibc 2.29+).
int pm_spawn_chdir(posix_spawn_file_actions_t *actions, const char *path);
/// `pipe2(fds, O_CLOEXEC)`: a pipe no child inherits unless handed it on purpose.
int pm_pipe_cloexec(int fds[2]);

#endif
