using System.Globalization;
using System.Text;

namespace ParameterSaliency.Trust;

/// <summary>What a <see cref="SanityCheck"/> found: every measurement, the verdicts, and what the charts draw.</summary>
/// <param name="Methods">The methods, in table order.</param>
/// <param name="Layers">The layers randomised, from the input to the output (cascading step n randomises the last n).</param>
/// <param name="Images">The mistakes explained (indices in the test split).</param>
/// <param name="FirstImagePixels">Pixels in [0, 1] of the first of them, [C, H, W] row-major: the randomisation grid's image.</param>
/// <param name="ImageShape">(C, H, W) of the images.</param>
/// <param name="Grid">Each method's explanation of the first image at every cascading step, [method][step].</param>
/// <param name="Measurements">Every row of <c>sanity.csv</c> and <c>images.csv</c>.</param>
/// <param name="Verdicts">Pass or fail per method and test, with the number behind it.</param>
/// <param name="Cue">Turned images found and explained for localisation; null when it was not run.</param>
/// <param name="Options">The options of the run.</param>
/// <param name="Elapsed">How long the run took.</param>
public sealed record SanityReport(IReadOnlyList<ExplanationMethod> Methods, IReadOnlyList<string> Layers, IReadOnlyList<int> Images, float[] FirstImagePixels,
    (int Channels, int Height, int Width) ImageShape, IReadOnlyList<IReadOnlyList<Explanation>> Grid, TrustMeasurements Measurements,
    IReadOnlyList<SanityVerdict> Verdicts, (int Turned, int Explained)? Cue, SanityOptions Options, TimeSpan Elapsed)
{
    /// <summary>The tests of the verdict table, in column order (those with at least one verdict).</summary>
    public IReadOnlyList<string> Tests => Verdicts.Select(v => v.Test).Distinct().ToArray();

    /// <summary>The verdict of <paramref name="method"/> on <paramref name="test"/>, or null when not judged.</summary>
    /// <param name="test">A test of <see cref="Tests"/>.</param>
    /// <param name="method">A method's name.</param>
    public SanityVerdict? VerdictOf(string test, string method) => Verdicts.FirstOrDefault(v => v.Test == test && v.Method == method);

    /// <summary>What cascading step <paramref name="step"/> shows: "trained" for 0, else "+" and the last layer it randomised (e.g. "+layer4.1").</summary>
    /// <param name="step">A step in [0, <see cref="Layers"/>.Count].</param>
    public string StepName(int step) => step == 0 ? "trained" : "+" + Layers[Layers.Count - step];

    /// <summary>The mean curve of <paramref name="metric"/> over the steps of <paramref name="test"/> for <paramref name="method"/>: (step, mean, CI low, CI high).</summary>
    /// <param name="test">E.g. <see cref="ModelRandomisationTest.Cascading"/> or <see cref="DeletionInsertionTest.Deletion"/>.</param>
    /// <param name="method">A method's name.</param>
    /// <param name="metric">E.g. spearman or probability.</param>
    public IReadOnlyList<TrustRow> Curve(string test, string method, string metric) =>
        Measurements.Rows.Where(r => r.Test == test && r.Method == method && r.Metric == metric).OrderBy(r => r.Step).ToArray();

    /// <summary><c>sanity.csv</c>: test,method,step,metric,value,ci_low,ci_high,images.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("test,method,step,metric,value,ci_low,ci_high,images\n");
        foreach (var r in Measurements.Rows)
            text.Append(CultureInfo.InvariantCulture, $"{r.Test},{Quoted(r.Method)},{r.Step},{r.Metric},{r.Value:R},{r.CiLow:R},{r.CiHigh:R},{r.Images}\n");
        return text.ToString();
    }

    /// <summary><c>images.csv</c>: test,method,step,metric,image,value (one row per image and measurement).</summary>
    public string ToImagesCsv()
    {
        var text = new StringBuilder("test,method,step,metric,image,value\n");
        foreach (var v in Measurements.ImageValues)
            text.Append(CultureInfo.InvariantCulture, $"{v.Test},{Quoted(v.Method)},{v.Step},{v.Metric},{v.Image},{v.Value:R}\n");
        return text.ToString();
    }

    /// <summary>The verdict table as Markdown: methods down, tests across, "pass (number)" or "FAIL (number)" in each cell.</summary>
    public string VerdictTable()
    {
        var tests = Tests;
        var text = new StringBuilder($"| method | {string.Join(" | ", tests)} |\n|---|{string.Concat(tests.Select(_ => "---|"))}\n");
        foreach (var method in Methods)
            text.Append($"| {method.Name} | {string.Join(" | ", tests.Select(t => VerdictOf(t, method.Name)?.Cell ?? "–"))} |\n");
        return text.ToString();
    }

    /// <summary><c>sanity.md</c>: what ran, the verdict table, the rules, and the randomisation curves' numbers.</summary>
    /// <param name="command">The command that made it, quoted at the top; null for none.</param>
    public string ToMarkdown(string? command = null)
    {
        var text = new StringBuilder("# Sanity and faithfulness of the explanations (SPEC §9)\n\n");
        if (command is not null) text.Append($"Made by `{command}` in {Elapsed.TotalMinutes:F1} min.\n\n");
        text.Append(CultureInfo.InvariantCulture,
            $"{Images.Count} mistakes of the test split explained; the trained model's own μ and σ, those of every randomised or relabelled model estimated on the first {Options.ReferenceImages} test images; " +
            $"{Layers.Count} layers randomised from the top (seed {Options.Seed}): {string.Join(", ", Layers.Reverse())}.");
        if (Cue is var (turned, explained)) text.Append(CultureInfo.InvariantCulture, $" Localisation: {explained} of {turned} images the planted cue turns.");
        text.Append("\n\n## Verdicts\n\n").Append(VerdictTable()).Append("\n\nRules:\n\n");
        foreach (string test in Tests) text.Append($"- **{test}**: {SanityVerdict.Rules[test]}.\n");
        text.Append("\n## Cascading randomisation: mean Spearman ρ against the trained model's explanation\n\n| method | floor | ")
            .Append(string.Join(" | ", Enumerable.Range(0, Layers.Count + 1).Select(s => StepName(s).TrimStart('+')))).Append(" |\n|---|")
            .Append(string.Concat(Enumerable.Range(0, Layers.Count + 2).Select(_ => "---:|"))).Append('\n');
        foreach (var method in Methods)
        {
            var floor = Measurements.Find(ModelRandomisationTest.Unrelated, method.Name, 0, "spearman");
            text.Append(CultureInfo.InvariantCulture, $"| {method.Name} | {floor?.Value:0.00} | {string.Join(" | ", Curve(ModelRandomisationTest.Cascading, method.Name, "spearman").Select(r => r.Value.ToString("0.00", CultureInfo.InvariantCulture)))} |\n");
        }
        text.Append("\nThe randomisation curves are drawn in randomisation.svg, the deletion and insertion curves in deletion-insertion.svg. ")
            .Append($"randomisation-grid.png shows mistake #{Images[0]}: one row per heatmap method ({string.Join(", ", Methods.Where((m, i) => Grid[i].All(e => e.Heatmap is not null)).Select(m => m.Name))}), ")
            .Append("the image first, then the trained model's map and the maps as the layers are randomised from the top. Every number is in sanity.csv, every image's value in images.csv.\n");
        return text.ToString();
    }

    static string Quoted(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
