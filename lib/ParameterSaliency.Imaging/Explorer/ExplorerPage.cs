using System.Globalization;
using System.Net;

namespace ParameterSaliency.Imaging;

/// <summary>What <see cref="Explorer.Write"/> wrote: the page, what it holds and what it cost.</summary>
/// <param name="Folder">The folder holding <c>index.html</c> and its assets.</param>
/// <param name="Mistakes">Mistakes on the page.</param>
/// <param name="Units">Units with a panel (those in some mistake's top-k or some failure mode's list).</param>
/// <param name="FailureModes">Failure modes from the atlas (0 when there were too few mistakes for one).</param>
/// <param name="Bytes">Size of every file of the page together.</param>
/// <param name="Elapsed">Time to compute and write it.</param>
/// <param name="Notes">What the page could not show for this model and why (e.g. no Grad-CAM without a spatial layer).</param>
public sealed record ExplorerPage(string Folder, int Mistakes, int Units, int FailureModes, long Bytes, TimeSpan Elapsed, IReadOnlyList<string> Notes)
{
    /// <summary>The page to open (from disk: no server, no internet).</summary>
    public string IndexPath => Path.Combine(Folder, "index.html");

    /// <summary>A link to the page with what it holds, for a notebook.</summary>
    /// <param name="href">The link's target as the notebook sees it (default: the page's absolute <c>file://</c> address).</param>
    public string ToHtml(string? href = null) =>
        $"<div><a href=\"{WebUtility.HtmlEncode(href ?? new Uri(IndexPath).AbsoluteUri)}\" target=\"_blank\">Open the mistake explorer</a> " +
        $"({WebUtility.HtmlEncode(Summary)})" +
        string.Concat(Notes.Select(n => $"<div style=\"color:#555\">{WebUtility.HtmlEncode(n)}</div>")) + "</div>";

    string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Mistakes} mistakes, {Units} units, {FailureModes} failure modes; {Bytes / 1e6:F1} MB in {Elapsed.TotalSeconds:F0} s");

    /// <inheritdoc/>
    public override string ToString() => $"{IndexPath}: {Summary}" + string.Concat(Notes.Select(n => $"\n  note: {n}"));
}
