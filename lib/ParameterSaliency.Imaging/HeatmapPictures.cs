using System.Net;
using ParameterSaliency.InputSpace;

namespace ParameterSaliency.Imaging;

/// <summary>Pictures of an <see cref="InputHeatmap"/>: the heatmap as shown (blurred for display), coloured, and over its image.</summary>
public static class HeatmapPictures
{
    /// <summary>The heatmap h as shown: blurred with <see cref="OverlayOptions.Blur"/> and re-normalised to [0, 1], [H, W].</summary>
    /// <param name="heatmap">Input-space heatmap h to display, [H, W].</param>
    /// <param name="options">How to draw it; only the blur σ is used here (null: <see cref="OverlayOptions.Default"/>).</param>
    public static float[] Displayed(this InputHeatmap heatmap, OverlayOptions? options = null)
    {
        options ??= OverlayOptions.Default;
        options.Validate();
        var blurred = HeatmapMath.GaussianBlur(heatmap.Heatmap, heatmap.Height, heatmap.Width, options.Blur);
        float max = blurred.Max();
        return max > 0 ? blurred.Select(v => v / max).ToArray() : blurred;
    }

    /// <summary>The displayed heatmap over the image, captioned with <paramref name="caption"/> (default: the method).</summary>
    /// <param name="heatmap">Heatmap h with the image x it explains.</param>
    /// <param name="caption">Caption of the tile; null: the heatmap's method.</param>
    /// <param name="options">Display blur, colour map and opacity (null: <see cref="OverlayOptions.Default"/>).</param>
    public static ImageTile Overlay(this InputHeatmap heatmap, string? caption = null, OverlayOptions? options = null)
    {
        options ??= OverlayOptions.Default;
        return HeatmapOverlay.Blend(heatmap.Pixels, heatmap.Channels, heatmap.Height, heatmap.Width, heatmap.Displayed(options), options.Colormap, options.Opacity, caption ?? heatmap.Method);
    }

    /// <summary>Image, heatmap and overlay side by side.</summary>
    /// <param name="heatmap">Heatmap h with the image x it explains.</param>
    /// <param name="options">Display blur, colour map and opacity (null: <see cref="OverlayOptions.Default"/>).</param>
    public static ImageGrid Triptych(this InputHeatmap heatmap, OverlayOptions? options = null)
    {
        options ??= OverlayOptions.Default;
        return new ImageGrid($"{heatmap.Method}{(heatmap.SourceIndex is int i ? $" — image #{i}" : "")}, label {heatmap.Label}",
        [
            ImageTile.FromPixels(heatmap.Pixels, heatmap.Channels, heatmap.Height, heatmap.Width, "image"),
            HeatmapOverlay.Colored(heatmap.Displayed(options), heatmap.Height, heatmap.Width, options.Colormap, "heatmap"),
            heatmap.Overlay("overlay", options),
        ], scale: 4);
    }

    /// <summary>The triptych as HTML, with any warnings under it.</summary>
    /// <param name="heatmap">Heatmap h with the image x it explains and its warnings.</param>
    /// <param name="options">Display blur, colour map and opacity (null: <see cref="OverlayOptions.Default"/>).</param>
    public static string Html(InputHeatmap heatmap, OverlayOptions? options = null)
    {
        string warnings = heatmap.Warnings.Count == 0 ? "" : $"<div style=\"color:#b00\">⚠ {WebUtility.HtmlEncode(string.Join("; ", heatmap.Warnings))}</div>";
        return heatmap.Triptych(options).ToHtml() + warnings;
    }
}
