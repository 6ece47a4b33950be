package pktest

import (
	"io"
	"net"
	"sync"
	"time"
)

// The floods below are what an attacker points at a server's port (the
// metrics endpoint): each runs until stop is closed, closes every
// connection it opened and then returns. Each is bounded in connections
// and time even if stop never comes.

// Slowloris keeps n clients sending a request's headers one byte every
// 300 ms, each reconnecting when the server cuts it (at most 100 times),
// until stop. It returns how many connections it opened.
func Slowloris(addr string, n int, stop <-chan struct{}) int {
	return each(n, func() int {
		opened := 0
		for conn := 0; conn < 100; conn++ {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return opened
			}
			opened++
			_, err = io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: a\r\n")
			for j := 0; j < 200 && err == nil; j++ {
				select {
				case <-stop:
					c.Close()
					return opened
				case <-time.After(300 * time.Millisecond):
				}
				_, err = io.WriteString(c, "X")
			}
			c.Close()
		}
		return opened
	})
}

// IdleBurst opens n connections as fast as it can that send nothing,
// holds them until stop and closes them. It returns how many it opened.
func IdleBurst(addr string, n int, stop <-chan struct{}) int {
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	<-stop
	for _, c := range conns {
		c.Close()
	}
	return len(conns)
}

// each runs client n times at once and sums what they return.
func each(n int, client func() int) int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards total
		total int
	)
	for i := 0; i < n; i++ {
		wg.Go(func() {
			k := client()
			mu.Lock()
			total += k
			mu.Unlock()
		})
	}
	wg.Wait()
	return total
}
