using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.FineTuning;

/// <summary>
/// One SGD step (no momentum, no weight decay) of L(f(x), y) on one sample, changing ONLY the rows
/// weight[c, :, :, :] of the chosen filters (SPEC §5); the model is evaluated and then restored
/// bit for bit, so every trial starts from the same weights. The model stays in eval mode, so
/// BatchNorm statistics never move either.
/// </summary>
public sealed class FilterFineTuner
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly Tensor[] weights;
    readonly ProfileLayout layout;

    /// <summary>Prepares steps on <paramref name="model"/>'s convolution filters (the filter-wise layout).</summary>
    /// <param name="model">Classifier whose convolution filters the steps change; its weights are restored after each step.</param>
    public FilterFineTuner(nn.Module<Tensor, Tensor> model)
    {
        Runtime.NativeTorch.EnsureLoaded();
        this.model = model;
        layout = ProfileLayout.For(model, Aggregation.FilterWise);
        var parameters = model.parameters().ToArray();
        weights = layout.Segments.Select(s => parameters[s.ParameterIndex]).ToArray();
    }

    /// <summary>Number of filters F.</summary>
    public int FilterCount => layout.Length;

    /// <summary>
    /// Takes the step for image <paramref name="sample"/> of <paramref name="data"/> on <paramref name="filters"/>
    /// (profile entries), runs <paramref name="evaluate"/> on the changed model, restores the weights, and
    /// returns what <paramref name="evaluate"/> returned.
    /// </summary>
    /// <typeparam name="T">Type of the result of <paramref name="evaluate"/>.</typeparam>
    /// <param name="data">Data set holding the sample.</param>
    /// <param name="sample">Index in <paramref name="data"/> of the image x whose loss L(f(x), y) drives the step.</param>
    /// <param name="filters">Filters to change, as filter-wise profile entries in [0, F); duplicates count once.</param>
    /// <param name="stepSize">Learning rate of the step: each chosen row becomes θ − stepSize·∂L/∂θ; positive and finite.</param>
    /// <param name="evaluate">Run on the changed model before the weights are restored; its result is returned.</param>
    public T WithStep<T>(ImageDataset data, int sample, IReadOnlyCollection<int> filters, double stepSize, Func<T> evaluate)
    {
        if (sample < 0 || sample >= data.Count) throw new ArgumentOutOfRangeException(nameof(sample), sample, $"{data.Name} has images [0, {data.Count}).");
        if (filters.Count == 0) throw new ArgumentException("Choose at least one filter.");
        if (filters.Any(f => f < 0 || f >= layout.Length)) throw new ArgumentOutOfRangeException(nameof(filters), $"Filters are profile entries [0, {layout.Length}).");
        if (!(stepSize > 0) || !double.IsFinite(stepSize)) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "A positive, finite step size.");
        Runtime.GradientMode.EnsureEnabled("A fine-tuning step");
        using var mode = new Runtime.EvalMode(model);
        var device = weights[0].device;
        var rowsPerTensor = filters.Distinct().GroupBy(f => layout.Segments.Last(s => s.Offset <= f))
            .Select(g => (Tensor: weights[layout.Segments.ToList().IndexOf(g.Key)], Rows: g.Select(f => (long)(f - g.Key.Offset)).Order().ToArray())).ToArray();
        var saved = new List<(Tensor Weight, Tensor Rows, Tensor Original)>();
        try
        {
            using (var scope = NewDisposeScope())
            {
                var logits = model.call(data.Images.narrow(0, sample, 1).to(weights[0].dtype).to(device));
                var loss = nn.functional.cross_entropy(logits, data.Labels.narrow(0, sample, 1).to(device));
                var gradients = autograd.grad([loss], rowsPerTensor.Select(r => r.Tensor).ToArray(), allow_unused: true);
                using var noGrad = no_grad();
                for (int t = 0; t < rowsPerTensor.Length; t++)
                {
                    var (weight, rowArray) = rowsPerTensor[t];
                    var rows = tensor(rowArray, device: device);
                    var original = weight.index_select(0, rows);
                    var gradient = Saliency.LoopEngine.GradientOrZero(gradients[t], weight).index_select(0, rows);
                    saved.Add((weight, rows.MoveToOuterDisposeScope(), original.MoveToOuterDisposeScope()));
                    weight.index_copy_(0, rows, original - gradient * stepSize);
                }
            }
            return evaluate();
        }
        finally
        {
            using (no_grad())
                foreach (var (weight, rows, original) in saved)
                {
                    weight.index_copy_(0, rows, original);
                    rows.Dispose();
                    original.Dispose();
                }
        }
    }
}
