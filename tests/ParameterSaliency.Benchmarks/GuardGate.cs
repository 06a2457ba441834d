using System.Globalization;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// What a wrong ReLU mask can do to a row, entry by entry: for every ReLU input of an image within the rounding band
/// (<see cref="ReluKinks.RoundingBand"/>, whatever its gradient), the row under float64's masks with that one entry's mask
/// flipped, against the row under float64's masks (row-relative L1). This is what a processor whose float32 put that entry
/// on the wrong side would give without the guard, so it does not depend on this processor's kernels. Beside it, the
/// entry's gradient share in its channel (the guard's gate) and in its whole ReLU call.
/// </summary>
internal static class GuardGate
{
    public record Entry(int Image, int Call, long Offset, double ChannelShare, double CallShare, double Effect);

    public static List<Entry> Measure(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, Action<string>? log = null)
    {
        model.eval();
        var layout = ProfileLayout.For(model, Aggregation.FilterWise);
        var engine = BatchedEngine.TryCreate(model, layout, out _)!;
        using var twin = Float64Twin.For(model, layout)!;
        var relus = ReluKinks.ReluModules(model).ToArray();
        var entries = new List<Entry>();
        foreach (int image in indices)
        {
            using var scope = NewDisposeScope();
            var x = data.Images.narrow(0, image, 1);
            var y = data.Labels.narrow(0, image, 1).to(ScalarType.Int64);
            var inputs = new List<Tensor>();
            var outputs = new List<Tensor>();
            var hooks = relus.SelectMany(relu => new IDisposable[]
            {
                new ReluKinks.Remover(relu.register_forward_pre_hook((_, input) => { inputs.Add(input.detach().clone().DetachFromDisposeScope()); return input; }).remove),
                new ReluKinks.Remover(relu.register_forward_hook((_, _, output) =>
                {
                    outputs.Add(output.DetachFromDisposeScope()); // out of the model's scopes, for its gradient
                    return output.alias();
                }).remove),
            }).ToArray();
            Tensor[] gradients;
            try
            {
                var loss = SaliencyLoss.Of(model.call(x), y);
                gradients = autograd.grad([loss], outputs, allow_unused: true).Select(g => g.detach()).ToArray();
            }
            finally
            {
                foreach (var hook in hooks) hook.Dispose();
                foreach (var output in outputs) output.Dispose();
            }
            var open = twin.OpenMasks(x);
            var near = new List<(int Call, long Offset, double ChannelShare, double CallShare)>();
            for (int call = 0; call < inputs.Count; call++)
            {
                if (!LoopEngine.IsDefined(gradients[call])) continue;
                var values = inputs[call].reshape(-1).data<float>().ToArray();
                var gradient = gradients[call].to(ScalarType.Float64).reshape(-1).data<double>().ToArray();
                double band = values.Max(v => Math.Abs(v)) * ReluKinks.RoundingBand;
                long group = inputs[call].shape.Length > 2 ? inputs[call].shape.Skip(2).Aggregate(1L, (a, b) => a * b) : values.Length;
                double callTotal = gradient.Sum(Math.Abs);
                for (long i = 0; i < values.Length; i++)
                {
                    if (Math.Abs(values[i]) > band || gradient[i] == 0) continue;
                    long first = i / group * group;
                    double channelTotal = 0;
                    for (long j = first; j < first + group; j++) channelTotal += Math.Abs(gradient[j]);
                    near.Add((call, i, Math.Abs(gradient[i]) / channelTotal, Math.Abs(gradient[i]) / callTotal));
                }
            }
            if (near.Count > 0)
            {
                int copies = near.Count;
                var flipped = open.Select(mask => mask.repeat([copies, .. Enumerable.Repeat(1L, (int)mask.dim() - 1)]).clone()).ToList();
                for (int k = 0; k < copies; k++)
                {
                    var flat = flipped[near[k].Call][k].reshape(-1);
                    flat[near[k].Offset] = flat[near[k].Offset].logical_not();
                }
                Tensor reference, rows;
                using (new PinnedRelus(model, open)) reference = engine.Profile(x, y).to(ScalarType.Float64);
                using (new PinnedRelus(model, flipped))
                    rows = engine.Profile(x.repeat(copies, 1, 1, 1), y.repeat(copies)).to(ScalarType.Float64);
                var effects = ((rows - reference).abs().sum(1) / reference.abs().sum()).data<double>().ToArray();
                for (int k = 0; k < copies; k++) entries.Add(new Entry(image, near[k].Call, near[k].Offset, near[k].ChannelShare, near[k].CallShare, effects[k]));
                foreach (var mask in open.Concat(flipped)) mask.Dispose();
            }
            else foreach (var mask in open) mask.Dispose();
            foreach (var input in inputs) input.Dispose();
            if ((image + 1) % 128 == 0) log?.Invoke($"image {image + 1}: {entries.Count} entries in the band with a gradient on {entries.Select(e => e.Image).Distinct().Count()} images");
        }
        return entries;
    }

    public static string Summary(List<Entry> entries, int images)
    {
        var text = new StringBuilder();
        text.AppendLine($"{images} images, {entries.Count} ReLU inputs in the band with a gradient, on {entries.Select(e => e.Image).Distinct().Count()} images; " +
                        $"largest effect of one flip {entries.DefaultIfEmpty().Max(e => e?.Effect ?? 0):E2}");
        text.AppendLine();
        text.AppendLine("| gate | threshold | entries at or above | images checked | largest effect below |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var (name, share) in new (string, Func<Entry, double>)[] { ("channel share", e => e.ChannelShare), ("call share", e => e.CallShare) })
            foreach (double threshold in new[] { 0, 1e-5, 1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2 })
            {
                var above = entries.Where(e => share(e) >= threshold).ToArray();
                double below = entries.Where(e => share(e) < threshold).Select(e => e.Effect).DefaultIfEmpty(0).Max();
                text.AppendLine($"| {name} | {threshold:G2} | {above.Length} | {above.Select(e => e.Image).Distinct().Count()} | {below:E2} |");
            }
        return text.ToString();
    }

    public static void WriteCsv(List<Entry> entries, string path)
    {
        var text = new StringBuilder("image,call,offset,channel_share,call_share,effect\n");
        foreach (var e in entries)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{e.Image},{e.Call},{e.Offset},{e.ChannelShare:R},{e.CallShare:R},{e.Effect:R}"));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ToString());
    }
}
