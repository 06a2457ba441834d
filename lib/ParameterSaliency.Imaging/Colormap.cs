namespace ParameterSaliency.Imaging;

/// <summary>Colour maps for heatmap overlays, as closed formulas (no lookup tables).</summary>
public enum Colormap
{
    /// <summary>Blue → cyan → yellow → red.</summary>
    Jet,
    /// <summary>Black → red → yellow → white.</summary>
    Hot,
}

/// <summary>Turns values in [0, 1] into colours and blends heatmaps over images.</summary>
public static class HeatmapOverlay
{
    /// <summary>RGB in [0, 1] of <paramref name="value"/> (clamped to [0, 1]).</summary>
    /// <param name="map">Colour map the colour is read from.</param>
    /// <param name="value">Value to colour, in [0, 1]; clamped, and a non-finite value counts as 0.</param>
    public static (double R, double G, double B) Color(Colormap map, double value)
    {
        double t = Math.Clamp(double.IsFinite(value) ? value : 0, 0, 1);
        return map switch
        {
            Colormap.Hot => (Math.Clamp(3 * t, 0, 1), Math.Clamp(3 * t - 1, 0, 1), Math.Clamp(3 * t - 2, 0, 1)),
            _ => (Math.Clamp(1.5 - Math.Abs(4 * t - 3), 0, 1), Math.Clamp(1.5 - Math.Abs(4 * t - 2), 0, 1), Math.Clamp(1.5 - Math.Abs(4 * t - 1), 0, 1)),
        };
    }

    /// <summary>
    /// An RGB tile: the image (pixels in [0, 1], [C, H, W] flattened; gray when C = 1) under the
    /// heatmap [H, W] in <paramref name="map"/> colours, with opacity <paramref name="opacity"/>·h so
    /// that cold regions show the image.
    /// </summary>
    /// <param name="pixels">Image pixels in [0, 1], [C, H, W] flattened.</param>
    /// <param name="channels">Channels C of the image: 1 (gray) or 3 (RGB).</param>
    /// <param name="height">Image and heatmap height H in pixels.</param>
    /// <param name="width">Image and heatmap width W in pixels.</param>
    /// <param name="heatmap">Heatmap h, [H, W] flattened, values in [0, 1] (clamped).</param>
    /// <param name="map">Colour map of the heatmap.</param>
    /// <param name="opacity">Opacity of the heatmap where h = 1; each pixel blends with weight opacity·h.</param>
    /// <param name="caption">Caption of the tile.</param>
    /// <param name="highlight">Whether the tile is framed red in a grid (default false).</param>
    public static ImageTile Blend(IReadOnlyList<float> pixels, int channels, int height, int width, IReadOnlyList<float> heatmap, Colormap map, double opacity, string caption, bool highlight = false)
    {
        int area = height * width;
        if (pixels.Count != channels * area || heatmap.Count != area) throw new ArgumentException($"Image ({pixels.Count} values) and heatmap ({heatmap.Count}) do not match {channels}x{height}x{width}.");
        var rgb = new byte[area * 3];
        for (int p = 0; p < area; p++)
        {
            double h = Math.Clamp(heatmap[p], 0, 1), alpha = opacity * h;
            var color = Color(map, h);
            double[] heat = [color.R, color.G, color.B];
            for (int c = 0; c < 3; c++)
            {
                double image = pixels[(channels == 3 ? c : 0) * area + p];
                rgb[p * 3 + c] = (byte)Math.Round(255 * Math.Clamp((1 - alpha) * image + alpha * heat[c], 0, 1));
            }
        }
        return new ImageTile(rgb, width, height, 3, caption, highlight);
    }

    /// <summary>The heatmap alone in <paramref name="map"/> colours.</summary>
    /// <param name="heatmap">Heatmap h, [H, W] flattened, values in [0, 1] (clamped).</param>
    /// <param name="height">Heatmap height H in pixels.</param>
    /// <param name="width">Heatmap width W in pixels.</param>
    /// <param name="map">Colour map of the heatmap.</param>
    /// <param name="caption">Caption of the tile.</param>
    public static ImageTile Colored(IReadOnlyList<float> heatmap, int height, int width, Colormap map, string caption)
    {
        var rgb = new byte[height * width * 3];
        for (int p = 0; p < heatmap.Count; p++)
        {
            var (r, g, b) = Color(map, heatmap[p]);
            rgb[p * 3] = (byte)Math.Round(255 * r);
            rgb[p * 3 + 1] = (byte)Math.Round(255 * g);
            rgb[p * 3 + 2] = (byte)Math.Round(255 * b);
        }
        return new ImageTile(rgb, width, height, 3, caption);
    }
}
