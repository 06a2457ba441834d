using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>
/// The images that excite a filter most: for each filter unit (an output channel c of a convolution's 4-D weight), the
/// images of largest mean output of channel c over the spatial positions, from one forward pass with a hook per
/// convolution. Only filters: a neuron's or a head's "activation" has no single such reading.
/// </summary>
internal static class FilterActivations
{
    const int ImagesPerPass = 256;

    /// <summary>Per filter entry, up to <paramref name="keep"/> (image, mean activation) among <paramref name="images"/>, largest first.</summary>
    public static Dictionary<int, (int Image, float Mean)[]> Leaders(nn.Module<Tensor, Tensor> model, ProfileLayout layout, IEnumerable<int> entries,
        ImageDataset data, IReadOnlyList<int> images, int keep)
    {
        var filters = entries.Where(e => layout.Filters.Count > e && layout.Filters[e].Kind == UnitKind.Filter).ToArray();
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var byLayer = filters.GroupBy(e => layout.Filters[e].Layer).Where(g => modules.ContainsKey(g.Key))
            .ToDictionary(g => g.Key, g => g.ToArray());
        var result = new Dictionary<int, (int, float)[]>();
        if (byLayer.Count == 0 || images.Count == 0) return result;
        var best = new Dictionary<string, (Tensor Values, Tensor Images)>();   // per layer: [≤ keep, channels]
        var removers = new List<Action>();
        bool training = model.training;
        var seen = new Dictionary<string, Tensor>();
        try
        {
            foreach (string layer in byLayer.Keys)
                if (modules[layer] is nn.Module<Tensor, Tensor> hooked)
                {
                    var remover = hooked.register_forward_hook((m, input, output) =>
                    {
                        // Kept out of every dispose scope: a model's forward may run in a scope of its own, which would free it on return.
                        if (output.dim() == 4) seen[layer] = output.detach().mean([2, 3]).to(ScalarType.Float32).DetachFromDisposeScope();
                        return output;
                    });
                    removers.Add(remover.remove);
                }
            model.eval();
            using var noGrad = no_grad();
            for (int start = 0; start < images.Count; start += ImagesPerPass)
            {
                using var scope = NewDisposeScope();
                int[] chunk = images.Skip(start).Take(ImagesPerPass).ToArray();
                seen.Clear();
                model.call(data.Images.index_select(0, tensor(chunk.Select(i => (long)i).ToArray())));
                var owners = tensor(chunk.Select(i => (long)i).ToArray());
                foreach (var (layer, means) in seen)
                {
                    var rows = owners.unsqueeze(1).expand(chunk.Length, means.shape[1]);
                    var (values, at) = best.TryGetValue(layer, out var kept) ? (cat([kept.Values, means]), cat([kept.Images, rows])) : (means, rows);
                    var (top, index) = values.topk((int)Math.Min(keep, values.shape[0]), dim: 0);
                    if (kept.Values is not null) { kept.Values.Dispose(); kept.Images.Dispose(); }
                    best[layer] = (top.DetachFromDisposeScope(), at.gather(0, index).DetachFromDisposeScope());
                }
                foreach (var means in seen.Values) means.Dispose();
            }
        }
        finally
        {
            foreach (var remove in removers) remove();
            foreach (var means in seen.Values) means.Dispose();
            if (training) model.train();
        }
        foreach (var (layer, group) in byLayer)
        {
            if (!best.TryGetValue(layer, out var kept)) continue;
            using var scope = NewDisposeScope();
            foreach (int entry in group)
            {
                int channel = layout.Filters[entry].Channel;
                if (channel >= kept.Values.shape[1]) continue;
                float[] values = kept.Values[.., channel].data<float>().ToArray();
                long[] owners = kept.Images[.., channel].data<long>().ToArray();
                result[entry] = owners.Select((o, r) => ((int)o, values[r])).ToArray();
            }
        }
        foreach (var kept in best.Values) { kept.Values.Dispose(); kept.Images.Dispose(); }
        return result;
    }
}
