package purity

import (
	"go/ast"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// New returns the purity analyzer. Its flag -allow-sync is a comma-separated
// list of package path suffixes that may import sync (default
// "ecs/internal/worldgate").
func New() *analysis.Analyzer {
	cfg := &config{allowSync: "ecs/internal/worldgate"}
	a := &analysis.Analyzer{
		Name:     "purity",
		Doc:      "report impure imports, map ranges, floats, goroutines, channels and printing in the simulation",
		Requires: []*analysis.Analyzer{inspect.Analyzer},
		Run:      cfg.run,
	}
	a.Flags.StringVar(&cfg.allowSync, "allow-sync", cfg.allowSync, "comma-separated package path suffixes allowed to import sync")
	return a
}

type config struct {
	allowSync string
}

// denied gives the reason an import is refused, or "" if it is not on the
// deny list.
func denied(path string) string {
	top, _, _ := strings.Cut(path, "/")
	switch {
	case path == "time":
		return "reads the clock; sim time is a tick counter"
	case top == "net":
		return "does network I/O"
	case top == "os", path == "io/ioutil", path == "syscall", path == "plugin":
		return "does operating-system I/O"
	case top == "sync":
		return "is for concurrency; a Sim is owned by one goroutine"
	case top == "log":
		return "logs; return events as data instead"
	case path == "math/rand", path == "math/rand/v2", path == "crypto/rand":
		return "is a global or unseeded RNG; use the sim's seeded rng"
	case top == "runtime", path == "unsafe", path == "reflect":
		return "is not needed by pure code"
	case path == "github.com/yohamta/donburi/ecs" || strings.HasPrefix(path, "github.com/yohamta/donburi/ecs/"):
		return "is donburi's ecs subpackage, whose Time calls time.Now"
	case strings.HasPrefix(path, "github.com/yohamta/donburi/features"):
		return "is a donburi feature package with shared state"
	}
	return ""
}

// allowedStd lists the standard packages pure code may import.
func allowedStd(path string) bool {
	switch path {
	case "bytes", "cmp", "crypto/sha256", "embed", "encoding/binary", "encoding/hex",
		"encoding/json", "errors", "fmt", "hash", "hash/crc32", "hash/fnv", "io", "io/fs",
		"iter", "maps", "math", "math/bits", "slices", "sort", "strconv", "strings",
		"unicode", "unicode/utf8":
		return true
	}
	return false
}

// allowedThirdParty lists the modules pure code may import.
func allowedThirdParty(path string) bool {
	switch path {
	case "github.com/yohamta/donburi", "github.com/yohamta/donburi/filter", "github.com/yohamta/donburi/component":
		return true
	}
	return false
}

// treeRoot is the import path of the ecs tree a package belongs to: its
// path up to and including the first "ecs" element, or the path itself.
func treeRoot(pkg string) string {
	parts := strings.Split(pkg, "/")
	for i, p := range parts {
		if p == "ecs" {
			return strings.Join(parts[:i+1], "/")
		}
	}
	return pkg
}

func (c *config) syncAllowed(pkg string) bool {
	for _, suffix := range strings.Split(c.allowSync, ",") {
		if suffix = strings.TrimSpace(suffix); suffix != "" && (pkg == suffix || strings.HasSuffix(pkg, "/"+suffix)) {
			return true
		}
	}
	return false
}

func (c *config) run(pass *analysis.Pass) (any, error) {
	isTest := func(n ast.Node) bool {
		return strings.HasSuffix(pass.Fset.File(n.Pos()).Name(), "_test.go")
	}
	if strings.HasSuffix(pass.Pkg.Path(), ".test") {
		return nil, nil // the generated main package of a test binary
	}
	root := treeRoot(pass.Pkg.Path())
	for _, f := range pass.Files {
		if isTest(f) {
			continue
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				continue
			}
			c.checkImport(pass, imp, path, root)
		}
	}
	checkPackageQueries(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	filter := []ast.Node{(*ast.RangeStmt)(nil), (*ast.GoStmt)(nil), (*ast.SelectStmt)(nil),
		(*ast.ChanType)(nil), (*ast.SendStmt)(nil), (*ast.CallExpr)(nil), (*ast.Ident)(nil)}
	ins.Preorder(filter, func(n ast.Node) {
		if isTest(n) {
			return
		}
		switch n := n.(type) {
		case *ast.RangeStmt:
			if t := pass.TypesInfo.TypeOf(n.X); t != nil {
				if _, ok := t.Underlying().(*types.Map); ok {
					pass.Reportf(n.Pos(), "range over a map: iteration order is random; iterate a slice in a fixed order")
				}
			}
		case *ast.GoStmt:
			pass.Reportf(n.Pos(), "go statement: the simulation never starts goroutines")
		case *ast.SelectStmt, *ast.ChanType, *ast.SendStmt:
			pass.Reportf(n.Pos(), "channel use: the simulation never sees a channel")
		case *ast.CallExpr:
			checkCall(pass, n)
		case *ast.Ident:
			if obj, ok := pass.TypesInfo.Defs[n].(*types.Var); ok && hasFloat(obj.Type(), 0) {
				pass.Reportf(n.Pos(), "%s has a float type (%s): sim state is fixed-point integers", n.Name, obj.Type())
			}
		}
	})
	return nil, nil
}

func (c *config) checkImport(pass *analysis.Pass, imp *ast.ImportSpec, path, root string) {
	if path == "sync" && c.syncAllowed(pass.Pkg.Path()) {
		return
	}
	if why := denied(path); why != "" {
		pass.Reportf(imp.Pos(), "import %q: %s", path, why)
		return
	}
	first, _, _ := strings.Cut(path, "/")
	switch {
	case path == root || strings.HasPrefix(path, root+"/"):
	case !strings.Contains(first, "."):
		if !allowedStd(path) {
			pass.Reportf(imp.Pos(), "import %q: not on the allowlist of pure standard packages", path)
		}
	case !allowedThirdParty(path):
		pass.Reportf(imp.Pos(), "import %q: the simulation imports only donburi and pure standard packages", path)
	}
}

// checkCall flags printing and float-valued computations.
func checkCall(pass *analysis.Pass, call *ast.CallExpr) {
	switch fn := typeutilCallee(pass, call).(type) {
	case *types.Builtin:
		if fn.Name() == "print" || fn.Name() == "println" {
			pass.Reportf(call.Pos(), "%s writes to stderr: return events as data instead", fn.Name())
		}
	case *types.Func:
		if fn.Pkg() != nil && fn.Pkg().Path() == "fmt" && strings.HasPrefix(fn.Name(), "Print") {
			pass.Reportf(call.Pos(), "fmt.%s writes to stdout: return events as data instead", fn.Name())
		}
		if sharedQueryMethod(fn) {
			pass.Reportf(call.Pos(), "ComponentType.%s uses the component type's one query, whose per-world cache is an unguarded map shared by every world: build a donburi.Query per Sim", fn.Name())
		}
	}
	if tv, ok := pass.TypesInfo.Types[call]; ok && tv.Value == nil && tv.Type != nil && hasFloat(tv.Type, 0) {
		pass.Reportf(call.Pos(), "call or conversion yields a float (%s): sim arithmetic is fixed-point", tv.Type)
	}
}

// sharedQueryMethod reports whether fn is a donburi ComponentType method
// that runs the type's built-in (process-wide) query.
func sharedQueryMethod(fn *types.Func) bool {
	if fn.Pkg() == nil || fn.Pkg().Path() != donburiPath {
		return false
	}
	switch fn.Name() {
	case "Each", "EachEntity", "Iter", "First", "FirstEntity", "MustFirst", "MustFirstEntity":
	default:
		return false
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return false
	}
	return namedIn(sig.Recv().Type(), "ComponentType")
}

// namedIn reports whether t (or what it points to) is the donburi type name.
func namedIn(t types.Type, name string) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == donburiPath && n.Obj().Name() == name
}

// donburiPath is the import path of donburi.
const donburiPath = "github.com/yohamta/donburi"

// checkPackageQueries reports package-level donburi queries: one query
// serving several worlds shares its unguarded per-world cache between them.
func checkPackageQueries(pass *analysis.Pass) {
	scope := pass.Pkg.Scope()
	for _, name := range scope.Names() {
		v, ok := scope.Lookup(name).(*types.Var)
		if !ok || (!namedIn(v.Type(), "Query") && !namedIn(v.Type(), "OrderedQuery")) {
			continue
		}
		if f := pass.Fset.File(v.Pos()); f != nil && strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		pass.Reportf(v.Pos(), "package-level donburi query %s is shared by every world: build queries per Sim", name)
	}
}

// typeutilCallee returns the object a call invokes (function, method or
// builtin), or nil for calls through values.
func typeutilCallee(pass *analysis.Pass, call *ast.CallExpr) types.Object {
	fun := ast.Unparen(call.Fun)
	switch f := fun.(type) {
	case *ast.Ident:
		return pass.TypesInfo.Uses[f]
	case *ast.SelectorExpr:
		if sel, ok := pass.TypesInfo.Selections[f]; ok {
			return sel.Obj()
		}
		return pass.TypesInfo.Uses[f.Sel]
	}
	return nil
}

// hasFloat reports whether t is or contains a floating-point or complex
// number (through arrays, slices, pointers, maps, channels and struct
// fields; function types are not looked into).
func hasFloat(t types.Type, depth int) bool {
	if depth > 8 {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&(types.IsFloat|types.IsComplex) != 0
	case *types.Array:
		return hasFloat(u.Elem(), depth+1)
	case *types.Slice:
		return hasFloat(u.Elem(), depth+1)
	case *types.Pointer:
		return hasFloat(u.Elem(), depth+1)
	case *types.Map:
		return hasFloat(u.Key(), depth+1) || hasFloat(u.Elem(), depth+1)
	case *types.Chan:
		return hasFloat(u.Elem(), depth+1)
	case *types.Struct:
		for i := range u.NumFields() {
			if hasFloat(u.Field(i).Type(), depth+1) {
				return true
			}
		}
	}
	return false
}
