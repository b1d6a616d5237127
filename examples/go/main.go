// hello: a tiny HTTP service used by the finalstage examples.
//
// It answers GET / with a greeting and GET /healthz with "ok". Two flags make it checkable
// inside a container started with no network: -version prints the version and exits, and
// -selftest serves on a loopback port, requests both routes and prints the replies.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
)

const version = "1.0.0"

func routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from go %s (%s)\n", version, runtime.Version())
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func selftest() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go http.Serve(ln, routes())
	for _, path := range []string{"/", "/healthz"} {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Printf("GET %s -> %d %s", path, resp.StatusCode, body)
	}
	return nil
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	showVersion := flag.Bool("version", false, "print the version and exit")
	runSelftest := flag.Bool("selftest", false, "serve on loopback, GET / and /healthz, print the replies and exit")
	flag.Parse()

	switch {
	case *showVersion:
		fmt.Println("hello", version)
	case *runSelftest:
		if err := selftest(); err != nil {
			fmt.Fprintln(os.Stderr, "selftest:", err)
			os.Exit(1)
		}
	default:
		log.Printf("hello %s listening on %s", version, *addr)
		log.Fatal(http.ListenAndServe(*addr, routes()))
	}
}
