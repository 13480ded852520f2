/// HTTP/1.1 server on raw POSIX sockets (see issue: HTTP server).
public enum HTTPServerModule {}
