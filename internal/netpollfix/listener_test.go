package netpollfix

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/netpoll"
	"golang.org/x/sys/unix"
)

// TestNetpollListenerShape: the pinned netpoll's listener still has the
// fields onceListener clears; a new netpoll must be checked again.
func TestNetpollListenerShape(t *testing.T) {
	nl := listen(t)
	defer nl.Close()
	if _, ok := nl.(*onceListener); !ok {
		t.Fatalf("netpoll's listener (%T) lacks its fd and file fields: check its Close for the double close", nl)
	}
	if _, ok := nl.(netpoll.Listener); !ok {
		t.Fatal("the wrapped listener is no netpoll.Listener: Kitex would convert it again")
	}
}

// TestNetpollListenerClosesOnce: listeners opened and closed in a loop
// never close a descriptor another goroutine opened meanwhile (netpoll's
// own Close did within seconds: an eventfd checked by inode went under
// its owner). The loop is bounded in count and time.
func TestNetpollListenerClosesOnce(t *testing.T) {
	stop := make(chan struct{})
	lost := make(chan int, 1)
	var wg sync.WaitGroup
	wg.Go(func() { watchEventfds(stop, lost) })
	defer func() { close(stop); wg.Wait() }()
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
		select {
		case fd := <-lost:
			t.Fatalf("eventfd %d closed under its owner after %d listener closes", fd, i)
		default:
		}
		nl := listen(t)
		if err := nl.Close(); err != nil {
			t.Fatal(err)
		}
		if err := nl.Close(); err != nil { // Kitex and Stop both close it
			t.Fatalf("second Close: %v", err)
		}
	}
	select {
	case fd := <-lost:
		t.Fatalf("eventfd %d closed under its owner", fd)
	default:
	}
}

// listen converts a fresh loopback listener.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nl, err := Listener(ln)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	return nl
}

// watchEventfds opens eventfds one after another and checks each stays
// its own (same inode) for a while; it reports the first that did not.
func watchEventfds(stop <-chan struct{}, lost chan<- int) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(efd, &st) != nil {
			unix.Close(efd)
			continue
		}
		ino := st.Ino
		for range 50 {
			if err := unix.Fstat(efd, &st); err != nil || st.Ino != ino {
				lost <- efd
				return
			}
		}
		unix.Close(efd)
	}
}
