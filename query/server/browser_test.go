package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server"
)

// findBrowser returns Debian's chromium (or another Chrome) or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestWebPage drives the embedded page in headless Chromium: type a word
// and see its neighbours and their PCA picture; type an analogy and see
// queen; search documents by text and see the one about coffee first. It
// writes the page's screenshot (PNG, after the word search) to
// $VECBOLT_SCREENSHOT when set: docs/serve-ui.png is made with
//
//	VECBOLT_SCREENSHOT=$PWD/docs/serve-ui.png go test ./query/server -run TestWebPage
func TestWebPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	browser := findBrowser()
	if browser == "" {
		t.Skip("no chromium installed (apt-get install -y chromium); skipping the browser test")
	}
	db, _ := sampleDB(t, 2500)
	docs, err := db.CreateCollection(t.Context(), "docs", query.CollectionConfig{Dim: 100, Embedder: "words:words"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docs.AddDocuments(t.Context(), []query.Document{
		{Key: "coffee", Text: "espresso is strong coffee brewed by forcing hot water through ground beans"},
		{Key: "football", Text: "the team scored a late goal to win the football match"},
		{Key: "rain", Text: "heavy rain and strong wind are expected across the north tonight"},
	}, query.DocumentOptions{}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(db, server.Options{}))
	defer ts.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1000, 1200),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	step := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, a); err != nil {
			page, perr := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("%v; the page says (%v):\n%s", err, perr, page)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	// choose selects an option as a user does: the change event fires.
	choose := func(sel, v string) {
		t.Helper()
		step(chromedp.SetValue(sel, v))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("`+sel+`").dispatchEvent(new Event("change"))`)); err != nil {
			t.Fatal(err)
		}
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("`+sel+`").value`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// The first action starts the browser, bound to the context it runs in.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	step(chromedp.Navigate(ts.URL + "/ui/"))
	step(chromedp.WaitReady(`#collection > option`))
	choose(`#collection`, "words")
	if m := value(`#mode`); m != "key" {
		t.Errorf("search mode for a collection without an embedder: %q, want key", m)
	}
	step(chromedp.SendKeys(`#query`, "king"))
	step(chromedp.Click(`#search-form > button`))
	step(chromedp.WaitVisible(`#plot > circle`))
	table := text(`#results > tbody`)
	plotted, err := chromedp.Run(ctx, chromedp.TextContent(`#plot`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	step(chromedp.SendKeys(`#expr`, "king - man + woman"))
	step(chromedp.Click(`#analogy-form > button`))
	step(chromedp.WaitVisible(`//h2[@id="results-title" and contains(., "woman")]`))
	analogy := text(`#results > tbody > tr:first-child`)
	choose(`#collection`, "docs")
	if m := value(`#mode`); m != "hybrid" {
		t.Errorf("search mode for a collection with an embedder: %q, want hybrid", m)
	}
	step(chromedp.SetValue(`#query`, "hot water"))
	step(chromedp.Click(`#search-form > button`))
	step(chromedp.WaitVisible(`//h2[@id="results-title" and contains(., "hot water")]`))
	textHit := text(`#results > tbody > tr:first-child`)
	if !strings.Contains(textHit, "coffee") || !strings.Contains(textHit, "espresso") {
		t.Errorf("text search for hot water: first row %q", textHit)
	}
	if e := text(`#error`); e != "" {
		t.Errorf("the page shows an error: %s", e)
	}
	if !strings.Contains(table, "prince") && !strings.Contains(table, "queen") {
		t.Errorf("neighbours of king:\n%s", table)
	}
	if !strings.Contains(plotted, "king") {
		t.Errorf("PCA plot labels: %q", plotted)
	}
	if !strings.Contains(analogy, "queen") {
		t.Errorf("king - man + woman: first row %q", analogy)
	}
	if p := os.Getenv("VECBOLT_SCREENSHOT"); p != "" {
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
