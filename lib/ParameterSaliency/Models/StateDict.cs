using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>Copies weights into a model by PyTorch state-dict name, refusing any that do not fit with a message that names them.</summary>
public static class StateDict
{
    /// <summary>At most this many keys of each kind are named in an error.</summary>
    public const int NamedKeys = 5;

    /// <summary>
    /// Copies <paramref name="weights"/> into <paramref name="model"/>. BatchNorm's <c>num_batches_tracked</c> may be
    /// missing (older PyTorch did not save it). Otherwise every key of the model must be in the file with its shape
    /// and nothing else: the error names up to <see cref="NamedKeys"/> missing, unexpected and wrongly shaped keys,
    /// with their counts.
    /// </summary>
    /// <param name="model">The module whose parameters and buffers are overwritten in place.</param>
    /// <param name="weights">Tensors by PyTorch state-dict name; each is converted to its target's dtype.</param>
    /// <param name="source">Where the weights came from (e.g. the file path), for the error message.</param>
    public static void CopyInto(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var expected = model.state_dict();
        static bool Optional(string key) => key.EndsWith("num_batches_tracked", StringComparison.Ordinal);
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k) && !Optional(k)).ToArray();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k)).ToArray();
        var misshaped = expected.Where(e => weights.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value.shape))
            .Select(e => $"{e.Key} [{string.Join(", ", weights[e.Key].shape)}], the model's [{string.Join(", ", e.Value.shape)}]").ToArray();
        if (missing.Length + unexpected.Length + misshaped.Length > 0)
        {
            static string Named(string what, string[] keys) => keys.Length == 0 ? "" :
                $" {keys.Length} {what}: {string.Join("; ", keys.Take(NamedKeys))}{(keys.Length > NamedKeys ? "; …" : "")}.";
            throw new InvalidDataException($"{source} does not fit the model ({expected.Count} tensors in the model, {weights.Count} in the file)." +
                                           Named("missing", missing) + Named("unexpected", unexpected) + Named("with another shape", misshaped));
        }
        using var noGrad = no_grad();
        foreach (var (name, target) in expected)
            if (weights.TryGetValue(name, out var value)) target.copy_(value.to(target.dtype));
    }
}
