using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>Builds <see cref="InputHeatmap"/> results from a raw map, shared by every method.</summary>
internal static class InputHeatmaps
{
    public static InputHeatmap Create(string method, int label, int? sourceIndex, Tensor batch, Normalization normalization, float[] gradient, float[] raw,
        IReadOnlyList<int> boosted, double clipPercentile, double floorPercentile)
    {
        int channels = (int)batch.shape[1], height = (int)batch.shape[2], width = (int)batch.shape[3];
        var warnings = new List<string>();
        if (gradient.Length > 0 && gradient.All(v => v == 0)) warnings.Add("the input gradient is exactly zero (the objective does not depend on x here)");
        var heatmap = HeatmapMath.ClipFloorNormalize(raw, clipPercentile, floorPercentile, out string? warning);
        if (warning is not null && warnings.Count == 0) warnings.Add(warning);
        if (raw.Any(v => !float.IsFinite(v))) raw = new float[raw.Length];
        using var scope = NewDisposeScope();
        float[] input = batch.to(ScalarType.Float32).cpu().reshape(-1).data<float>().ToArray();
        float[] pixels = normalization.Invert(batch.to(ScalarType.Float32).cpu()).reshape(-1).data<float>().ToArray();
        return new InputHeatmap(method, label, sourceIndex, pixels, input, gradient, raw, heatmap, channels, height, width, boosted, warnings, clipPercentile, floorPercentile);
    }
}
