package server

import (
	"embed"
	"net/http"
)

// The web page: static files embedded in the binary, no build step and
// nothing loaded from elsewhere (the Content-Security-Policy allows only
// this origin). It uses the public API, sending the key typed into it.
//
//go:embed web/index.html web/app.js
var webFiles embed.FS

const webCSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"

func (s *Server) webFile(name, ctype string) func(s *Server, w http.ResponseWriter, r *http.Request) error {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		b, err := webFiles.ReadFile("web/" + name)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Security-Policy", webCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, err = w.Write(b)
		return err
	}
}

func (s *Server) webIndex(w http.ResponseWriter, r *http.Request) error {
	return s.webFile("index.html", "text/html; charset=utf-8")(s, w, r)
}

func (s *Server) webApp(w http.ResponseWriter, r *http.Request) error {
	return s.webFile("app.js", "text/javascript; charset=utf-8")(s, w, r)
}
