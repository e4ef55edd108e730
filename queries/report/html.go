package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// The chart library and its notices (vendor/echarts/README.md).
var (
	//go:embed vendor/echarts/echarts.min.js
	echartsJS string
	//go:embed vendor/echarts/NOTICE
	echartsNotice string
)

//go:embed page.html
var pageHTML string

//go:embed app.js
var appJS string

var page = template.Must(template.New("report").Parse(pageHTML))

// Write writes d as one self-contained HTML page: the data as JSON, the
// chart library and the page's script inline; nothing is fetched.
func Write(w io.Writer, d *Data) error {
	data, err := json.Marshal(d) // escapes <, > and & : safe inside <script>
	if err != nil {
		return fmt.Errorf("report: encode data: %w", err)
	}
	if strings.Contains(echartsJS, "</script") {
		return fmt.Errorf("report: the vendored chart library holds </script")
	}
	notice := "Apache ECharts 6.1.0, Apache License 2.0 (bundles zrender, BSD-3-Clause, and code derived from d3, BSD-3-Clause).\n" + echartsNotice
	return page.Execute(w, map[string]any{
		"Title":   d.Title,
		"Notice":  template.JS("/*\n" + strings.ReplaceAll(notice, "*/", "* /") + "*/"),
		"ECharts": template.JS(echartsJS),
		"Data":    template.JS(data),
		"App":     template.JS(appJS),
	})
}
