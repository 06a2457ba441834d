using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>
/// A mistake's four maps, drawn over the image: the paper's boosted heatmap (ŝ with the true label y, its top-k units
/// boosted in s'), its control with k random units boosted, Grad-CAM and the input gradient (both for the predicted
/// class). A method the model does not admit (Grad-CAM without a spatial layer) is left out with a note.
/// </summary>
internal sealed class ExplorerHeatmaps
{
    /// <summary>Largest side of a drawn map in pixels; larger images are shrunk by area averaging.</summary>
    public const int MaxSide = 128;

    readonly InputSpaceSaliency boosted, control;
    GradCam? gradCam;
    readonly InputGradient inputGradient;

    public ExplorerHeatmaps(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, HeatmapOptions options, int seed, List<string> notes)
    {
        boosted = new InputSpaceSaliency(model, statistics, options with { Filters = BoostedFilters.TopSalient });
        control = new InputSpaceSaliency(model, statistics, options with { Filters = BoostedFilters.Random, RandomSeed = seed });
        inputGradient = new InputGradient(model);
        try
        {
            gradCam = new GradCam(model);
        }
        catch (ArgumentException e)
        {
            notes.Add($"No Grad-CAM: {e.Message}");
        }
        Methods = [$"boosted top-{options.K} (true class)", $"random {options.K} units (control)", "Grad-CAM (predicted class)", "input gradient (predicted class)"];
    }

    /// <summary>The methods' captions, in the order of <see cref="Draw"/>'s maps.</summary>
    public string[] Methods { get; }

    /// <summary>For each image at <paramref name="indices"/>, its maps as PNG bytes (null where a method is not available).</summary>
    public byte[]?[][] Draw(ImageDataset data, IReadOnlyList<int> indices, List<string> notes)
    {
        var maps = new byte[]?[indices.Count][];
        for (int i = 0; i < indices.Count; i++) maps[i] = new byte[]?[Methods.Length];
        Fill(maps, 0, boosted.Explain(data, indices));
        Fill(maps, 1, control.Explain(data, indices));
        using (var scope = NewDisposeScope())
        {
            var images = data.Images.index_select(0, tensor(indices.Select(i => (long)i).ToArray()));
            int?[] sources = indices.Select(i => (int?)i).ToArray();
            if (gradCam is not null)
            {
                try
                {
                    Fill(maps, 2, gradCam.ExplainBatch(images, data.Normalization, sourceIndices: sources));
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    notes.Add($"No Grad-CAM: {e.Message}");
                    gradCam = null;
                }
            }
            Fill(maps, 3, inputGradient.ExplainBatch(images, data.Normalization, sourceIndices: sources));
        }
        return maps;
    }

    static void Fill(byte[]?[][] maps, int method, IReadOnlyList<InputHeatmap> heatmaps)
    {
        for (int i = 0; i < heatmaps.Count; i++) maps[i][method] = Shrunk(heatmaps[i].Overlay()).ToPng();
    }

    /// <summary>The tile with its larger side at most <see cref="MaxSide"/> (box average), or the tile itself.</summary>
    public static ImageTile Shrunk(ImageTile tile)
    {
        int factor = (Math.Max(tile.Width, tile.Height) + MaxSide - 1) / MaxSide;
        if (factor <= 1) return tile;
        int width = tile.Width / factor, height = tile.Height / factor, c = tile.Channels;
        var pixels = new byte[width * height * c];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int k = 0; k < c; k++)
                {
                    int sum = 0;
                    for (int dy = 0; dy < factor; dy++)
                        for (int dx = 0; dx < factor; dx++) sum += tile.Pixels[((y * factor + dy) * tile.Width + x * factor + dx) * c + k];
                    pixels[(y * width + x) * c + k] = (byte)((sum + factor * factor / 2) / (factor * factor));
                }
        return tile with { Pixels = pixels, Width = width, Height = height };
    }
}
