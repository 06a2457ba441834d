using ParameterSaliency.Trust;

namespace ParameterSaliency.Imaging;

/// <summary>The pictures of a <see cref="SanityReport"/> as files: the randomisation curves, deletion and insertion curves, and the randomisation grid.</summary>
public static class SanityCharts
{
    /// <summary>Mean Spearman ρ against the trained model's explanation as layers are randomised from the top, one line per method (controls dashed).</summary>
    /// <param name="report">A sanity run.</param>
    public static string RandomisationCurves(SanityReport report) =>
        LineChartSvg.Render("Cascading randomisation: does the explanation depend on the weights?", "layers randomised (from the top)", "mean Spearman ρ with the trained model's",
            report.Methods.Select(m => new ChartLine(m.Name, report.Curve(ModelRandomisationTest.Cascading, m.Name, "spearman").Select(r => ((double)r.Step, r.Value)).ToArray(), m.IsControl)).ToArray(),
            Enumerable.Range(0, report.Layers.Count + 1).Select(report.StepName).ToArray());

    /// <summary>Deletion (top), deletion to black (middle) and insertion (bottom): mean p(predicted class) against the share of pixels removed or revealed, one line per heatmap method.</summary>
    /// <param name="report">A sanity run.</param>
    public static string DeletionInsertion(SanityReport report)
    {
        string Chart(string test, string verb) => LineChartSvg.Render($"{char.ToUpperInvariant(test[0])}{test[1..]}: pixels {verb} in the heatmap's order", $"share of pixels {verb}", "mean p(class predicted on the original)",
            report.Methods.Where(m => m.IsHeatmap).Select(m => new ChartLine(m.Name,
                report.Curve(test, m.Name, "probability").Select(r => ((double)r.Step / report.Options.DeletionSteps, r.Value)).ToArray(), m.IsControl)).ToArray());
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"1440\">" +
               Chart(DeletionInsertionTest.Deletion, "removed").Replace("<svg ", "<svg y=\"0\" ") +
               Chart(DeletionInsertionTest.DeletionBlack, "blackened").Replace("<svg ", "<svg y=\"480\" ") +
               Chart(DeletionInsertionTest.Insertion, "revealed").Replace("<svg ", "<svg y=\"960\" ") + "</svg>";
    }

    /// <summary>The first mistake, then each heatmap method's map of it as the layers are randomised (one row per method, trained model first).</summary>
    /// <param name="report">A sanity run.</param>
    public static ImageGrid Grid(SanityReport report)
    {
        var (channels, height, width) = report.ImageShape;
        var tiles = new List<ImageTile>();
        for (int m = 0; m < report.Methods.Count; m++)
        {
            if (report.Grid[m].Any(e => e.Heatmap is null)) continue;
            tiles.Add(ImageTile.FromPixels(report.FirstImagePixels, channels, height, width, $"#{report.Images[0]}\n{report.Methods[m].Name}"));
            tiles.AddRange(report.Grid[m].Select((e, step) => e.Heatmap!.Overlay(report.StepName(step))));
        }
        return new ImageGrid($"Image #{report.Images[0]} explained as the layers are randomised from the top", tiles, scale: 3, columns: report.Layers.Count + 2);
    }
}
