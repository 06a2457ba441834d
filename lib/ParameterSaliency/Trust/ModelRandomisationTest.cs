using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Model-parameter randomisation (Adebayo et al. 2018, SPEC §9). Cascading: the layers are randomised one more at a time
/// from the output down, and after each step every method explains the same images again and is compared with the trained
/// model's explanation (<see cref="ExplanationSimilarity"/>); step 0 is the trained model against itself. The fully
/// randomised step also gives <see cref="EfficientMprt"/>. Independent: each layer alone, step n being the n-th layer from
/// the top. The floor the curves should fall towards is the similarity of explanations of different images by the
/// trained model (test <see cref="Unrelated"/>: image i against image i + 1).
/// </summary>
/// <param name="randomisation">The randomised copies of the trained model.</param>
/// <param name="methods">The methods under test.</param>
public sealed class ModelRandomisationTest(LayerRandomisation randomisation, IReadOnlyList<ExplanationMethod> methods)
{
    /// <summary>Test name of the cascading randomisation.</summary>
    public const string Cascading = "model_randomisation_cascading";
    /// <summary>Test name of the independent randomisation.</summary>
    public const string Independent = "model_randomisation_independent";
    /// <summary>Test name of the floor: explanations of different images by the trained model.</summary>
    public const string Unrelated = "unrelated_images";
    /// <summary>Test name of efficient MPRT.</summary>
    public const string Efficient = "efficient_mprt";

    /// <summary>Runs the cascading randomisation (and the independent one when <paramref name="independent"/>), adding rows to <paramref name="measurements"/>.</summary>
    /// <param name="trained">The trained model (the one <see cref="LayerRandomisation"/> copies).</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="indices">Images explained, at least 2.</param>
    /// <param name="measurements">Where the rows go.</param>
    /// <param name="independent">Also randomise each layer alone.</param>
    /// <param name="progress">Receives a line per model explained; null for none.</param>
    /// <returns>Each method's explanation of the first image at every cascading step (for the randomisation grid), [method][step].</returns>
    public IReadOnlyList<IReadOnlyList<Explanation>> Run(nn.Module<Tensor, Tensor> trained, ImageDataset data, IReadOnlyList<int> indices, TrustMeasurements measurements,
        bool independent = true, IProgress<string>? progress = null)
    {
        if (indices.Count < 2) throw new ArgumentException("Randomisation compares at least 2 images (the floor pairs different images).", nameof(indices));
        var (_, height, width) = data.ImageShape;
        var reference = methods.Select(m => m.Explain(trained, data, indices)).ToArray();
        var grid = methods.Select((_, m) => new List<Explanation> { reference[m][0] }).ToArray();
        for (int m = 0; m < methods.Count; m++)
        {
            var shifted = Enumerable.Range(0, indices.Count).Select(i => reference[m][(i + 1) % indices.Count]).ToArray();
            ExplanationSimilarity.Record(measurements, Unrelated, methods[m], 0, indices, reference[m], shifted, height, width);
            ExplanationSimilarity.Record(measurements, Cascading, methods[m], 0, indices, reference[m], reference[m], height, width);
        }
        int layers = randomisation.Layers.Count;
        for (int step = 1; step <= layers; step++)
        {
            progress?.Report($"cascading step {step}/{layers}: {string.Join(", ", randomisation.Layers.Skip(layers - step))} randomised");
            using var model = randomisation.Cascading(step);
            for (int m = 0; m < methods.Count; m++)
            {
                var explained = methods[m].Explain(model, data, indices);
                ExplanationSimilarity.Record(measurements, Cascading, methods[m], step, indices, reference[m], explained, height, width);
                grid[m].Add(explained[0]);
                if (step == layers)
                    measurements.Add(Efficient, methods[m].Name, step, EfficientMprt.Metric, indices,
                        reference[m].Select((e, i) => EfficientMprt.Of(e.Values, explained[i].Values)).ToArray());
            }
        }
        if (independent)
            for (int step = 1; step <= layers; step++)
            {
                string layer = randomisation.Layers[layers - step];
                progress?.Report($"independent {step}/{layers}: {layer} alone randomised");
                using var model = randomisation.Independent(layer);
                for (int m = 0; m < methods.Count; m++)
                    ExplanationSimilarity.Record(measurements, Independent, methods[m], step, indices, reference[m], methods[m].Explain(model, data, indices), height, width);
            }
        return grid;
    }
}
