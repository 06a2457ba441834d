namespace ParameterSaliency.Trust;

/// <summary>
/// One cell of the verdict table: whether <paramref name="Method"/> passes <paramref name="Test"/>, the number behind it
/// and the rule applied.
/// </summary>
/// <param name="Test">The test (cascading randomisation, eMPRT, data randomisation, random logit, deletion, insertion, pointing game, RRA, RMA).</param>
/// <param name="Method">The method.</param>
/// <param name="Pass">Whether the rule holds.</param>
/// <param name="Value">The number the rule judged.</param>
/// <param name="Rule">The rule, with the threshold it used.</param>
public sealed record SanityVerdict(string Test, string Method, bool Pass, double Value, string Rule)
{
    /// <summary>Each test's rule in words, for reports (a verdict's <see cref="Rule"/> adds its own threshold).</summary>
    public static IReadOnlyDictionary<string, string> Rules { get; } = new Dictionary<string, string>
    {
        ["cascading randomisation"] = "with every layer randomised, the mean Spearman ρ with the trained model's explanation has fallen at least halfway from 1 to the method's floor (the ρ of explanations of unrelated images)",
        ["neighbours (§3.2)"] = "with every layer random, the share of a mistake's 10 saliency neighbours that share its (true, predicted) pair has fallen at least halfway from the trained model's share to that of pixel neighbours",
        ["eMPRT"] = "the mean (H(e_rand) − H(e)) / H(e) of histogram entropies, trained against fully randomised, is above 0",
        ["data randomisation"] = "the mean ρ with the explanation by the model trained on permuted labels is at most halfway from 1 to the floor",
        ["random logit"] = "the mean ρ between the explanations for the true class and for a random other class is at most halfway from 1 to the floor",
        ["deletion"] = "the 95% interval of the deletion AUC minus the random heatmap's, image by image, lies below 0",
        ["deletion (black)"] = "the same with the removed pixels set to black (pixel value 0) rather than to 0 in normalised units, the data set's mean grey",
        ["insertion"] = "the 95% interval of the insertion AUC minus the random heatmap's, image by image, lies above 0",
        ["pointing game"] = "the 95% interval of the hit rate lies above the random heatmap's, a tie for the top pixel counted as a hit only when every tied pixel is in the cue (a flat, upsampled map cannot pass by its ties; the optimistic rate is in sanity.csv as hit_rate)",
        ["relevance rank"] = "the 95% interval of relevance rank accuracy lies above the random heatmap's",
        ["relevance mass"] = "the 95% interval of relevance mass accuracy lies above the random heatmap's",
    };

    /// <summary>"pass (0.12)" or "FAIL (0.87)".</summary>
    public string Cell => $"{(Pass ? "pass" : "FAIL")} ({Value:0.###})";

    /// <summary>
    /// The verdicts SPEC §9's rules give on <paramref name="measurements"/>. A similarity test (cascading randomisation at
    /// its last step, data randomisation, random logit) passes when the mean Spearman ρ has fallen at least halfway from 1
    /// to the floor, the ρ of explanations of unrelated images. eMPRT passes above 0. Deletion passes when the 95% interval
    /// of the AUC minus the random heatmap's, image by image, lies below 0; insertion above 0. The localisation metrics pass
    /// when their interval lies above the random heatmap's mean (the pointing game counting a tied top as a hit only when all of it is in the cue).
    /// </summary>
    /// <param name="measurements">The rows of a sanity run.</param>
    /// <param name="methods">The methods, in table order.</param>
    /// <param name="layers">Layers of the randomisation (the last cascading step).</param>
    public static IReadOnlyList<SanityVerdict> Judge(TrustMeasurements measurements, IReadOnlyList<ExplanationMethod> methods, int layers)
    {
        var verdicts = new List<SanityVerdict>();
        string? randomMap = methods.FirstOrDefault(m => m.IsControl && m.IsHeatmap)?.Name;
        foreach (var method in methods)
        {
            double floor = measurements.Find(ModelRandomisationTest.Unrelated, method.Name, 0, "spearman")?.Value ?? double.NaN;
            double threshold = (1 + floor) / 2;
            void Similarity(string label, string test, int step)
            {
                if (measurements.Find(test, method.Name, step, "spearman") is { } row && !double.IsNaN(floor))
                    verdicts.Add(new(label, method.Name, row.Value <= threshold, row.Value, $"mean ρ ≤ {threshold:0.###}, halfway from 1 to the unrelated-image floor {floor:0.###}"));
            }
            Similarity("cascading randomisation", ModelRandomisationTest.Cascading, layers);
            if (measurements.Find(NeighbourRandomisationTest.Name, method.Name, 0, "neighbour_share") is { } shared
                && measurements.Find(NeighbourRandomisationTest.Name, method.Name, layers, "neighbour_share") is { } sharedRandom
                && measurements.Find(NeighbourRandomisationTest.Name, NeighbourRandomisationTest.PixelControl, 0, "neighbour_share") is { } pixelShare)
            {
                double halfway = (shared.Value + pixelShare.Value) / 2;
                verdicts.Add(new("neighbours (§3.2)", method.Name, sharedRandom.Value <= halfway, sharedRandom.Value,
                    $"share with random weights ≤ {halfway:0.###}, halfway from the trained model's {shared.Value:0.###} to pixel neighbours' {pixelShare.Value:0.###}"));
            }
            if (measurements.Find(ModelRandomisationTest.Efficient, method.Name, layers, EfficientMprt.Metric) is { } empr)
                verdicts.Add(new("eMPRT", method.Name, empr.Value > 0, empr.Value, "mean (H(e_rand) − H(e)) / H(e) > 0"));
            Similarity("data randomisation", DataRandomisationTest.Name, 0);
            Similarity("random logit", RandomLogitTest.Name, 0);
            if (measurements.Find(DeletionInsertionTest.Deletion, method.Name, 0, "auc_minus_random") is { } deletion && !method.IsControl)
                verdicts.Add(new("deletion", method.Name, deletion.CiHigh < 0, deletion.Value, "95% interval of AUC − random heatmap's AUC below 0"));
            if (measurements.Find(DeletionInsertionTest.DeletionBlack, method.Name, 0, "auc_minus_random") is { } black && !method.IsControl)
                verdicts.Add(new("deletion (black)", method.Name, black.CiHigh < 0, black.Value, "95% interval of AUC − random heatmap's AUC below 0, removed pixels black"));
            if (measurements.Find(DeletionInsertionTest.Insertion, method.Name, 0, "auc_minus_random") is { } insertion && !method.IsControl)
                verdicts.Add(new("insertion", method.Name, insertion.CiLow > 0, insertion.Value, "95% interval of AUC − random heatmap's AUC above 0"));
            foreach (var (label, metric) in new[] { ("pointing game", "hit_rate_pessimistic"), ("relevance rank", "rra"), ("relevance mass", "rma") })
                if (measurements.Find(CueLocalisationTest.Name, method.Name, 0, metric) is { } row && randomMap is not null && method.Name != randomMap
                    && measurements.Find(CueLocalisationTest.Name, randomMap, 0, metric) is { } chance)
                    verdicts.Add(new(label, method.Name, row.CiLow > chance.Value, row.Value, $"95% interval above the random heatmap's {chance.Value:0.###}"));
        }
        return verdicts;
    }
}
