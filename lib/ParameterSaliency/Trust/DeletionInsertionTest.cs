using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.InputSpace;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Deletion and insertion (Petsiuk et al. 2018, SPEC §9). Each heatmap ranks its image's pixels (descending, ties by pixel
/// index: <see cref="RegionMask.TopCount"/>); at the fractions i / <paramref name="steps"/> of the pixels, deletion sets the
/// top pixels to 0 in normalised units (<see cref="MaskFill.DatasetMean"/>) and insertion shows them over a blurred copy
/// (<see cref="MaskFill.Blur"/> of the rest). The score is the softmax probability of the class the model predicts on the
/// unmodified image; the area under each curve is taken by the trapezoid rule (<see cref="CurveArea"/>). Deletion: lower
/// is better; insertion: higher. Each method is also compared image by image with the random heatmap
/// (<c>auc_minus_random</c>), which must be among the methods. Deletion is also run with the removed pixels set to black
/// (<see cref="DeletionBlack"/>, <see cref="MaskFill.Black"/>): on images with a black background, 0 in normalised units is
/// the data set's mean grey, and grey pixels scattered over the background move a prediction by themselves.
/// </summary>
/// <param name="methods">Heatmap methods, one of them a random control.</param>
/// <param name="steps">Points of each curve after the first, at least 2 (16 by default: 49 pixels a step on 28×28).</param>
public sealed class DeletionInsertionTest(IReadOnlyList<ExplanationMethod> methods, int steps = 16)
{
    /// <summary>Test name of deletion.</summary>
    public const string Deletion = "deletion";
    /// <summary>Test name of deletion with the removed pixels set to black (pixel value 0) instead of 0 in normalised units.</summary>
    public const string DeletionBlack = "deletion_black";
    /// <summary>Test name of insertion.</summary>
    public const string Insertion = "insertion";

    /// <summary>Runs the three curves (deletion, deletion to black, insertion) for every heatmap method on <paramref name="indices"/>.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="indices">Images explained.</param>
    /// <param name="measurements">Where the rows go: <c>auc</c> and <c>auc_minus_random</c> at step 0, the mean curve as <c>probability</c> at steps 0..steps.</param>
    public void Run(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, TrustMeasurements measurements)
    {
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "At least 2 steps.");
        var maps = methods.Where(m => m.IsHeatmap).ToArray();
        var control = maps.FirstOrDefault(m => m.IsControl) ?? throw new ArgumentException("Deletion and insertion compare with a random heatmap: include a RandomControlMethod.", nameof(methods));
        using var originals = data.Images.index_select(0, tensor(indices.Select(i => (long)i).ToArray()));
        var predicted = Evaluator.Predict(model, originals).Predictions;
        var areas = new Dictionary<(string Test, string Method), double[]>();
        foreach (var method in maps)
        {
            var explanations = method.Explain(model, data, indices);
            var curves = new[] { new double[indices.Count, steps + 1], new double[indices.Count, steps + 1], new double[indices.Count, steps + 1] }; // deletion, insertion, black deletion
            for (int n = 0; n < indices.Count; n++) Curves(model, data, indices[n], explanations[n].Values, predicted[n], curves, n);
            foreach (var (test, curve) in new[] { (Deletion, curves[0]), (Insertion, curves[1]), (DeletionBlack, curves[2]) })
            {
                areas[(test, method.Name)] = Enumerable.Range(0, indices.Count).Select(n => CurveArea.Trapezoid(Enumerable.Range(0, steps + 1).Select(i => curve[n, i]).ToArray())).ToArray();
                measurements.Add(test, method.Name, 0, "auc", indices, areas[(test, method.Name)]);
                for (int i = 0; i <= steps; i++)
                    measurements.Add(test, method.Name, i, "probability", indices, Enumerable.Range(0, indices.Count).Select(n => curve[n, i]).ToArray());
            }
        }
        foreach (var method in maps)
            foreach (string test in new[] { Deletion, Insertion, DeletionBlack })
                measurements.Add(test, method.Name, 0, "auc_minus_random", indices, areas[(test, method.Name)].Zip(areas[(test, control.Name)], (a, r) => a - r).ToArray());
    }

    void Curves(nn.Module<Tensor, Tensor> model, ImageDataset data, int index, float[] map, int predictedClass, double[][,] curves, int row)
    {
        using var scope = NewDisposeScope();
        var (_, height, width) = data.ImageShape;
        var image = data.Images[index];
        var edited = new List<Tensor>();
        for (int i = 0; i <= steps; i++)
        {
            var top = RegionMask.TopCount(map, height, width, (int)Math.Round((double)i * height * width / steps));
            edited.Add(RegionEdits.Mask(image, top, MaskFill.DatasetMean, data.Normalization));
            edited.Add(RegionEdits.Mask(image, top.Complement(), MaskFill.Blur, data.Normalization));
            edited.Add(RegionEdits.Mask(image, top, MaskFill.Black, data.Normalization));
        }
        var (_, probabilities) = Evaluator.Predict(model, stack(edited));
        for (int i = 0; i <= steps; i++)
        {
            for (int c = 0; c < 3; c++) curves[c][row, i] = probabilities[3 * i + c, predictedClass];
        }
    }
}
