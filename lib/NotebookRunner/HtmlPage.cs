using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Markdig;

namespace NotebookRunner;

/// <summary>
/// A standalone HTML page of an executed notebook: prose, code, and outputs. A page with charts carries plotly.js
/// itself, once, so it draws them without internet (a workshop room may have none).
/// </summary>
internal static class HtmlPage
{
    /// <summary>
    /// The script tag that loads plotly.js: inline, the copy Plotly.NET 6 carries (the version its charts are made for);
    /// NOTEBOOK_PLOTLY_JS gives a URL or path to load instead, for lighter pages.
    /// </summary>
    static string PlotlyScript => Environment.GetEnvironmentVariable("NOTEBOOK_PLOTLY_JS") is { Length: > 0 } source
        ? $"<script src=\"{WebUtility.HtmlEncode(source)}\"></script>"
        : $"<script>{PlotlyJs.Inline}</script>";

    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    public static string Render(NotebookDocument notebook, string title)
    {
        var body = new StringBuilder();
        foreach (var cell in notebook.Cells)
        {
            string source = NotebookDocument.Source(cell!);
            if (NotebookDocument.CellType(cell!) == "markdown")
            {
                body.Append(Markdig.Markdown.ToHtml(source, Markdown));
                continue;
            }
            body.Append($"<pre class=\"code\">{WebUtility.HtmlEncode(source)}</pre>");
            foreach (var output in cell!["outputs"] as JsonArray ?? [])
                body.Append(RenderOutput(output!));
        }
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"/>")
            .Append($"<title>{WebUtility.HtmlEncode(title)}</title>")
            .Append(body.ToString().Contains("Plotly.newPlot", StringComparison.Ordinal) ? PlotlyScript : "") // only pages with charts carry plotly.js
            .Append("<style>body{font-family:sans-serif;max-width:1000px;margin:auto;padding:1em}")
            .Append("pre.code{background:#f6f8fa;padding:8px;border-left:3px solid #4878d0;overflow-x:auto}")
            .Append("pre.stream{background:#fff;padding:4px;margin:0}.error{color:#b00020}table{border-collapse:collapse}")
            .Append("td,th{border:1px solid #ddd;padding:2px 6px;font-size:13px}</style></head><body>");
        return html.Append(body).Append("</body></html>").ToString();
    }

    static string RenderOutput(JsonNode output)
    {
        switch (output["output_type"]?.GetValue<string>())
        {
            case "stream":
                return $"<pre class=\"stream\">{WebUtility.HtmlEncode(output["text"]?.GetValue<string>() ?? "")}</pre>";
            case "error":
                return $"<pre class=\"error\">{WebUtility.HtmlEncode(output["evalue"]?.GetValue<string>() ?? "")}</pre>";
            default:
                var data = output["data"] as JsonObject;
                if (data?["text/html"] is JsonNode htmlValue) return $"<div>{htmlValue.GetValue<string>()}</div>";
                if (data?["text/plain"] is JsonNode text) return $"<pre class=\"stream\">{WebUtility.HtmlEncode(text.GetValue<string>())}</pre>";
                return "";
        }
    }
}
