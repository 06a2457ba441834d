using System.Globalization;
using System.Net;
using System.Text;

namespace ParameterSaliency.Imaging;

/// <summary>One line of a <see cref="LineChartSvg"/>: its name in the legend and its points.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="Points">(x, y) in drawing order; NaN values are skipped.</param>
/// <param name="Dashed">Drawn dashed (a control or a floor).</param>
public sealed record ChartLine(string Name, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false);

/// <summary>
/// A plain line chart as a standalone SVG file (no script, no network): for charts written by the command line, which
/// opens anywhere a browser or an image viewer does.
/// </summary>
public static class LineChartSvg
{
    static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>The chart as SVG text.</summary>
    /// <param name="title">Title above the plot.</param>
    /// <param name="xLabel">Label of the x axis.</param>
    /// <param name="yLabel">Label of the y axis.</param>
    /// <param name="lines">The lines.</param>
    /// <param name="xTicks">Labels of the integer x positions 0, 1, … (e.g. layer names); null for numeric ticks.</param>
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartLine> lines, IReadOnlyList<string>? xTicks = null)
    {
        const int width = 900, height = 480, left = 70, right = 300, top = 40, bottom = xTicksSpace;
        var points = lines.SelectMany(l => l.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        double xMin = points.Length == 0 ? 0 : points.Min(p => p.X), xMax = points.Length == 0 ? 1 : points.Max(p => p.X);
        double yMin = points.Length == 0 ? 0 : Math.Min(0, Math.Floor(points.Min(p => p.Y) * 10) / 10), yMax = points.Length == 0 ? 1 : Math.Max(1, Math.Ceiling(points.Max(p => p.Y) * 10) / 10);
        if (xMax == xMin) xMax = xMin + 1;
        double plotWidth = width - left - right, plotHeight = height - top - bottom;
        string X(double x) => (left + (x - xMin) / (xMax - xMin) * plotWidth).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double y) => (top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight).ToString("F1", CultureInfo.InvariantCulture);
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.Append($"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{WebUtility.HtmlEncode(title)}</text>");
        for (int i = 0; i <= 5; i++)
        {
            double y = yMin + (yMax - yMin) * i / 5;
            svg.Append($"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(y)}\" y2=\"{Y(y)}\" stroke=\"#ddd\"/>")
               .Append($"<text x=\"{left - 6}\" y=\"{Y(y)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{y.ToString("0.##", CultureInfo.InvariantCulture)}</text>");
        }
        var ticks = xTicks is not null ? xTicks.Select((label, i) => ((double)i, label)).ToArray()
            : Enumerable.Range(0, 6).Select(i => xMin + (xMax - xMin) * i / 5).Select(x => (x, x.ToString("0.##", CultureInfo.InvariantCulture))).ToArray();
        foreach (var (x, label) in ticks)
            svg.Append($"<text transform=\"translate({X(x)},{height - bottom + 12}) rotate(40)\" font-size=\"10\">{WebUtility.HtmlEncode(label)}</text>");
        svg.Append($"<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{height - bottom}\" stroke=\"black\"/><line x1=\"{left}\" x2=\"{width - right}\" y1=\"{height - bottom}\" y2=\"{height - bottom}\" stroke=\"black\"/>");
        svg.Append($"<text x=\"{left + plotWidth / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabel)}</text>");
        svg.Append($"<text transform=\"translate(16,{top + plotHeight / 2}) rotate(-90)\" text-anchor=\"middle\">{WebUtility.HtmlEncode(yLabel)}</text>");
        for (int i = 0; i < lines.Count; i++)
        {
            string colour = Palette[i % Palette.Length], dash = lines[i].Dashed ? " stroke-dasharray=\"5,4\"" : "";
            var path = lines[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => $"{X(p.X)},{Y(p.Y)}");
            svg.Append($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{string.Join(' ', path)}\"/>");
            svg.Append($"<line x1=\"{width - right + 15}\" x2=\"{width - right + 40}\" y1=\"{top + 10 + 18 * i}\" y2=\"{top + 10 + 18 * i}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>")
               .Append($"<text x=\"{width - right + 46}\" y=\"{top + 10 + 18 * i}\" dominant-baseline=\"middle\">{WebUtility.HtmlEncode(lines[i].Name)}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    const int xTicksSpace = 110;
}
