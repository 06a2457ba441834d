namespace ParameterSaliency.Imaging;

/// <summary>How a heatmap h is drawn (never how it is computed): the display blur, the colour map and the overlay's opacity.</summary>
public sealed record OverlayOptions
{
    /// <summary>The default look: a 3x3 Gaussian blur (σ 0.8), jet colours, opacity 0.6 where h = 1.</summary>
    public static OverlayOptions Default { get; } = new();

    /// <summary>σ of the Gaussian blur applied for display only (0: none).</summary>
    public double Blur { get; init; } = 0.8;
    /// <summary>Colour map of the heatmap.</summary>
    public Colormap Colormap { get; init; } = Colormap.Jet;
    /// <summary>Opacity of the heatmap where it is 1 (it fades with the value, so cold regions show the image).</summary>
    public double Opacity { get; init; } = 0.6;

    internal void Validate()
    {
        if (!double.IsFinite(Blur) || Blur < 0) throw new ArgumentOutOfRangeException(nameof(Blur), Blur, "A non-negative blur σ.");
        if (Opacity is < 0 or > 1 || double.IsNaN(Opacity)) throw new ArgumentOutOfRangeException(nameof(Opacity), Opacity, "Opacity in [0, 1].");
    }
}
