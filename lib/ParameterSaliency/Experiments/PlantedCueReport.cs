using System.Globalization;
using System.Text;
using ParameterSaliency.InputSpace;

namespace ParameterSaliency.Experiments;

/// <summary>One method's scores in the planted-cue experiment (rates in [0, 1]).</summary>
/// <param name="Method">Name of the method, one of <see cref="PlantedCueExperiment.Methods"/>.</param>
/// <param name="Images">Turned images scored.</param>
/// <param name="HitRate">Pointing-game hit rate: share of images whose raw map has its maximum inside the marker box (tied maxima share the credit); NaN without images.</param>
/// <param name="MassShare">Mean share of the raw map's mass inside the marker box; NaN without images.</param>
/// <param name="RestoreRate">Share of images whose unstamped prediction returns when the method's top pixels (as many as the box has) are filled black; NaN without images.</param>
public sealed record PlantedCueRow(string Method, int Images, double HitRate, double MassShare, double RestoreRate);

/// <summary>The planted-cue table with the numbers behind it; renders as Markdown, CSV and HTML.</summary>
/// <param name="Cue">The planted cue.</param>
/// <param name="ClassNames">Class names of the test set, by label.</param>
/// <param name="Candidates">Test images outside the cue class, all stamped.</param>
/// <param name="Turned">Candidates the marker turned into the cue class.</param>
/// <param name="Evaluated">Turned images explained (at most the requested maximum).</param>
/// <param name="BoxAreaShare">Area of the marker box over the image area (the mass share of a uniform map).</param>
/// <param name="OracleRestoreRate">Share of the explained images whose unstamped prediction returns when the box itself is filled black; 0 when none was explained.</param>
/// <param name="Rows">One row per method, in the order of <see cref="PlantedCueExperiment.Methods"/>.</param>
/// <param name="Examples">The first heatmaps of each method, in the order of <paramref name="Rows"/>.</param>
public sealed record PlantedCueReport(PlantedCue Cue, IReadOnlyList<string> ClassNames, int Candidates, int Turned, int Evaluated, double BoxAreaShare,
    double OracleRestoreRate, IReadOnlyList<PlantedCueRow> Rows, IReadOnlyList<List<InputHeatmap>> Examples)
{
    /// <summary>What was measured, in one sentence.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"The marker ({Cue.Description}) turned {Turned} of {Candidates} test images of other classes into \"{ClassNames[Cue.CueClass]}\"; " +
        $"{Evaluated} of them were explained. The box is {BoxAreaShare:P1} of the image (the mass share of a uniform map); " +
        $"masking the box itself restores the original prediction for {OracleRestoreRate:P1}.");

    /// <summary>The table as Markdown.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder("| method | images | pointing-game hit rate | mass share in box | masking top pixels restores label |\n|---|---:|---:|---:|---:|\n");
        foreach (var row in Rows)
            text.Append(CultureInfo.InvariantCulture, $"| {row.Method} | {row.Images} | {row.HitRate:P1} | {row.MassShare:P1} | {row.RestoreRate:P1} |\n");
        return text.ToString();
    }

    /// <summary>The table as CSV (rates as fractions).</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("method,images,hit_rate,mass_share,restore_rate\n");
        foreach (var row in Rows)
            text.Append(CultureInfo.InvariantCulture, $"\"{row.Method}\",{row.Images},{row.HitRate:F4},{row.MassShare:F4},{row.RestoreRate:F4}\n");
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Summary + Environment.NewLine + ToMarkdown();
}
