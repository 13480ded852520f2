#ifndef PROOFMARKET_CSOCKETSHIM_H
#define PROOFMARKET_CSOCKETSHIM_H
/// Platform calls that Glibc's Swift module does not export (epoll, accept4).
int pm_socketshim_placeholder(void);
#endif
