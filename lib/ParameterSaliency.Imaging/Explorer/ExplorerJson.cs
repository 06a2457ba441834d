using System.Text.Json.Nodes;
using ParameterSaliency.Atlas;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Imaging;

/// <summary>The failure modes shown: the atlas's clusters with data-set indices, and its one-line summary.</summary>
internal sealed record FailureModes(IReadOnlyList<FailureCluster> Clusters, string Summary);

/// <summary>A unit with a panel: its number on the page, its profile entry, its name and the images of largest ŝ on it.</summary>
internal sealed record ExplorerUnit(int Id, int Entry, string Name, IReadOnlyList<(int Image, float Z)> Largest);

/// <summary>
/// What the page reads, as scripts (a page opened from <c>file://</c> may load scripts, not JSON): <c>data.js</c> with
/// the overview, and one <c>chunks/mistakes-N.js</c> per chunk of mistakes with their maps, neighbours and sanity
/// values, loaded when one of them is opened.
/// </summary>
internal sealed class ExplorerJson(ImageDataset data, EvaluationReport report, ProfileLayout layout, ExplorerOptions options, List<string> notes)
{
    readonly Dictionary<int, int> unitOfEntry = [];

    /// <summary>The units in some mistake's top-k or some mode's list, in profile order.</summary>
    public List<ExplorerUnit> Units(MistakeProfiles profiles, FailureModes? modes)
    {
        var entries = profiles.Top.SelectMany(top => top.Select(t => t.Unit)).Concat(modes?.Clusters.SelectMany(c => c.Filters.Select(f => f.Index)) ?? [])
            .Distinct().Order().ToArray();
        var units = new List<ExplorerUnit>(entries.Length);
        foreach (int entry in entries)
        {
            unitOfEntry[entry] = units.Count;
            var largest = profiles.MistakeTally.Largest(entry).Concat(profiles.CorrectTally.Largest(entry)).OrderByDescending(l => l.Z).Take(Explorer.LargestPerUnit).ToArray();
            units.Add(new ExplorerUnit(units.Count, entry, layout.EntryName(entry), largest));
        }
        return units;
    }

    /// <summary><c>chunks/mistakes-N.js</c>: each mistake's maps (PNG data URIs), neighbours (index, cosine, true, predicted) and sanity values.</summary>
    public string Chunk(int chunk, int[] mistakes, byte[]?[][] maps, NeighborList[] saliency, NeighborList[] pixel,
        Dictionary<int, List<(string Test, string Method, string Metric, double Value)>>? sanity)
    {
        var detail = new JsonObject();
        for (int m = 0; m < mistakes.Length; m++)
        {
            var entry = new JsonObject
            {
                ["maps"] = new JsonArray(maps[m].Select(png => png is null ? null : (JsonNode)$"data:image/png;base64,{Convert.ToBase64String(png)}").ToArray()),
                ["sal"] = Neighbours(saliency[m]),
                ["pix"] = Neighbours(pixel[m]),
            };
            if (sanity is not null && sanity.TryGetValue(mistakes[m], out var values))
                entry["sanity"] = new JsonArray(values.Select(v => (JsonNode)new JsonArray(v.Test, v.Method, v.Metric, Round(v.Value))).ToArray());
            detail[mistakes[m].ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry;
        }
        return $"window.explorerChunk({chunk}, {detail.ToJsonString()});\n";
    }

    JsonArray Neighbours(NeighborList list) => new(list.Others.Take(options.Neighbours)
        .Select(e => (JsonNode)new JsonArray(e.Index, Round(e.Similarity), report.Labels[e.Index], report.Predictions[e.Index])).ToArray());

    /// <summary><c>data.js</c>: the overview and every unit's panel.</summary>
    public string Overview(int[] mistakes, MistakeProfiles profiles, FailureModes? modes, List<ExplorerUnit> units,
        Dictionary<int, (int Image, float Mean)[]> excite, ThumbnailSheets sheets, string[] methods,
        IReadOnlyList<int> correctSample, string? sanityLink, bool sanityRead)
    {
        var modeOf = new Dictionary<int, int>();
        foreach (var cluster in modes?.Clusters ?? []) foreach (int image in cluster.Images) modeOf[image] = cluster.Number;
        var confusion = report.ConfusionMatrix;
        int classes = report.ClassNames.Count;
        var thumbs = new JsonObject();
        foreach (int image in sheets.Images) thumbs[image.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Pair(sheets.TileOf(image));
        var overview = new JsonObject
        {
            ["title"] = options.Title ?? $"Mistakes of the model on {data.Name}",
            ["dataset"] = data.Name,
            ["images"] = data.Count,
            ["accuracy"] = Round(report.Accuracy),
            ["mistakesTotal"] = report.Misclassified.Count,
            ["unitNoun"] = layout.EntryNoun,
            ["k"] = options.TopUnits,
            ["neighbours"] = options.Neighbours,
            ["classes"] = new JsonArray(report.ClassNames.Select(c => (JsonNode)c).ToArray()),
            ["confusion"] = new JsonArray(Enumerable.Range(0, classes).Select(t => (JsonNode)new JsonArray(Enumerable.Range(0, classes).Select(p => (JsonNode)confusion[t, p]).ToArray())).ToArray()),
            ["tile"] = new JsonObject { ["width"] = sheets.TileWidth, ["height"] = sheets.TileHeight, ["columns"] = ThumbnailSheets.Columns, ["sheets"] = sheets.Sheets.Count },
            ["thumbs"] = thumbs,
            ["mistakes"] = new JsonArray(mistakes.Select((image, m) => (JsonNode)new JsonObject
            {
                ["i"] = image,
                ["t"] = report.Labels[image],
                ["p"] = report.Predictions[image],
                ["pp"] = Round(report.Probability(image, report.Predictions[image])),
                ["pt"] = Round(report.Probability(image, report.Labels[image])),
                ["size"] = Round(profiles.Size[m]),
                ["mode"] = modeOf.TryGetValue(image, out int mode) ? mode : null,
                ["chunk"] = m / options.MistakesPerChunk,
                ["top"] = new JsonArray(profiles.Top[m].Select(t => (JsonNode)new JsonArray(unitOfEntry[t.Unit], Round(t.Z))).ToArray()),
            }).ToArray()),
            ["units"] = new JsonArray(units.Select(u => (JsonNode)new JsonObject
            {
                ["name"] = u.Name,
                ["entry"] = u.Entry,
                ["hm"] = new JsonArray(profiles.MistakeTally.Histogram(u.Entry).Select(c => (JsonNode)c).ToArray()),
                ["hc"] = new JsonArray(profiles.CorrectTally.Histogram(u.Entry).Select(c => (JsonNode)c).ToArray()),
                ["mm"] = Round(profiles.MistakeTally.Mean(u.Entry)),
                ["mc"] = Round(profiles.CorrectTally.Mean(u.Entry)),
                ["largest"] = new JsonArray(u.Largest.Select(l => (JsonNode)new JsonArray(l.Image, Round(l.Z), report.Labels[l.Image], report.Predictions[l.Image])).ToArray()),
                ["excite"] = excite.TryGetValue(u.Entry, out var leaders)
                    ? new JsonArray(leaders.Select(l => (JsonNode)new JsonArray(l.Image, Round(l.Mean), report.Labels[l.Image], report.Predictions[l.Image])).ToArray())
                    : null,
            }).ToArray()),
            ["bins"] = new JsonObject { ["lowest"] = UnitTally.Lowest, ["width"] = UnitTally.BinWidth, ["count"] = UnitTally.Bins },
            ["correctSample"] = correctSample.Count,
            ["correctIndices"] = new JsonArray(correctSample.Select(i => (JsonNode)i).ToArray()),
            ["modesSummary"] = modes?.Summary,
            ["modes"] = new JsonArray((modes?.Clusters ?? []).Select(c => (JsonNode)new JsonObject
            {
                ["n"] = c.Number,
                ["size"] = c.Images.Count,
                ["pairs"] = new JsonArray(c.Composition.Select(p => (JsonNode)new JsonArray(p.TrueClass, p.PredictedClass, p.Count)).ToArray()),
                ["typical"] = new JsonArray(c.Typical.Select(i => (JsonNode)i).ToArray()),
                ["units"] = new JsonArray(c.Filters.Select(f => (JsonNode)new JsonArray(unitOfEntry[f.Index], Round(f.Excess), Round(f.Q), f.Discovered)).ToArray()),
            }).ToArray()),
            ["methods"] = new JsonArray(methods.Select(m => (JsonNode)m).ToArray()),
            ["sanity"] = sanityRead ? new JsonObject { ["link"] = sanityLink } : null,
            ["notes"] = new JsonArray(notes.Distinct().Select(n => (JsonNode)n).ToArray()),
        };
        return $"window.EXPLORER_DATA = {overview.ToJsonString()};\n";
    }

    static JsonArray Pair((int Sheet, int Slot) tile) => new(tile.Sheet, tile.Slot);

    static double? Round(double value) => double.IsFinite(value) ? Math.Round(value, 4) : null;
}
