// Package oneshot makes one HTTP/1.1 exchange over a connection of its
// own and serves one request per connection: what the probes, the crash
// report upload and the metrics endpoint need, without net/http's Client,
// Transport and Server (no connection pool, no keep-alive, no HTTP/2, no
// proxies, no per-connection reader and writer goroutines; 0.5 MB less
// binary, measured). Parsing and writing stay the standard library's
// (http.ReadResponse, Request.Write, http.ReadRequest).
//
// Every read and write is bounded in time by the caller's context (and
// the server's own deadlines) and in size by the caller's limits.
package oneshot
