// A stand-in for Grafana's server binary in end-to-end tests (test/harness/grafanaRepo.ts packages it as
// `grafana` in a local APT repository; Grafana's own repository is unreachable from the test machines).
//
// It does what the real server does with the parts of the install the stack is responsible for: started by
// the package's grafana-server.service as `grafana server --config=... cfg:default.paths.*=...`, it reads
// the ini file it is given, resolves every `$__file{path}` value and refuses to start when one is unreadable
// (as Grafana does), listens on [server] http_addr:http_port and answers GET /api/health. What it saw is
// written to <paths.data>/winyx-stub-report.json for the test: its user, the ini path, each secret file's
// path, mode, owner and sha256 (never the value).
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

var version = "dev"

type secretFile struct {
	Key    string `json:"key"`
	Path   string `json:"path"`
	Mode   string `json:"mode"`
	Owner  string `json:"owner"`
	Group  string `json:"group"`
	Sha256 string `json:"sha256"`
}

type report struct {
	Version string            `json:"version"`
	Args    []string          `json:"args"`
	User    string            `json:"user"`
	Group   string            `json:"group"`
	Config  string            `json:"config"`
	Listen  string            `json:"listen"`
	Paths   map[string]string `json:"paths"`
	Secrets []secretFile      `json:"secrets"`
}

var fileRef = regexp.MustCompile(`^\$__file\{(.+)\}$`)

// readIni returns section.key -> value ("" section for keys before the first header).
func readIni(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	values := map[string]string{}
	section := ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			values[section+"."+strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return values, scanner.Err()
}

func name(id uint32, lookup func(string) (string, error)) string {
	if n, err := lookup(fmt.Sprint(id)); err == nil {
		return n
	}
	return fmt.Sprint(id)
}

func userName(id string) (string, error) {
	u, err := user.LookupId(id)
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

func groupName(id string) (string, error) {
	g, err := user.LookupGroupId(id)
	if err != nil {
		return "", err
	}
	return g.Name, nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "grafana stub: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 || args[0] != "server" {
		fail("usage: grafana server --config=<ini> [cfg:default.paths.<name>=<dir>]...")
	}
	rep := report{Version: version, Args: args, Paths: map[string]string{}}
	pidfile := ""
	for _, a := range args[1:] {
		switch {
		case strings.HasPrefix(a, "--config="):
			rep.Config = strings.TrimPrefix(a, "--config=")
		case strings.HasPrefix(a, "--pidfile="):
			pidfile = strings.TrimPrefix(a, "--pidfile=")
		case strings.HasPrefix(a, "cfg:default.paths."):
			k, v, _ := strings.Cut(strings.TrimPrefix(a, "cfg:default.paths."), "=")
			rep.Paths[k] = v
		}
	}
	if rep.Config == "" {
		fail("no --config given")
	}
	ini, err := readIni(rep.Config)
	if err != nil {
		fail("reading %s: %v", rep.Config, err)
	}
	// The ini's [paths] win over the command line's defaults, as in Grafana.
	for k, v := range ini {
		if strings.HasPrefix(k, "paths.") {
			rep.Paths[strings.TrimPrefix(k, "paths.")] = v
		}
	}
	rep.User = name(uint32(os.Getuid()), userName)
	rep.Group = name(uint32(os.Getgid()), groupName)
	for _, key := range []string{"security.admin_password", "security.secret_key"} {
		m := fileRef.FindStringSubmatch(ini[key])
		if m == nil {
			continue
		}
		content, err := os.ReadFile(m[1])
		if err != nil {
			fail("%s: $__file{%s}: %v", key, m[1], err)
		}
		info, err := os.Stat(m[1])
		if err != nil {
			fail("%s: %v", m[1], err)
		}
		st := info.Sys().(*syscall.Stat_t)
		sum := sha256.Sum256(content)
		rep.Secrets = append(rep.Secrets, secretFile{
			Key:    key,
			Path:   m[1],
			Mode:   fmt.Sprintf("%04o", info.Mode().Perm()),
			Owner:  name(st.Uid, userName),
			Group:  name(st.Gid, groupName),
			Sha256: hex.EncodeToString(sum[:]),
		})
	}
	addr, port := ini["server.http_addr"], ini["server.http_port"]
	if port == "" {
		port = "3000"
	}
	rep.Listen = net.JoinHostPort(addr, port)
	data := rep.Paths["data"]
	if data == "" {
		fail("no data path (cfg:default.paths.data or [paths] data)")
	}
	text, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(data, "winyx-stub-report.json"), append(text, '\n'), 0o640); err != nil {
		fail("writing the report: %v", err)
	}
	if pidfile != "" {
		if err := os.WriteFile(pidfile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			fail("writing %s: %v", pidfile, err)
		}
	}
	listener, err := net.Listen("tcp", rep.Listen)
	if err != nil {
		fail("listen %s: %v", rep.Listen, err)
	}
	fmt.Fprintf(os.Stderr, "grafana stub %s: HTTP Server Listen address=%s config=%s\n", version, rep.Listen, rep.Config)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"database\":\"ok\",\"version\":%q}\n", version)
	})
	fail("serve: %v", http.Serve(listener, mux))
}
