using ParameterSaliency.InputSpace;

namespace ParameterSaliency.Trust;

/// <summary>
/// One explanation of one image, as the trust tests compare it: its values (a heatmap's H·W pixels, row-major, or the
/// standardized profile ŝ's entries) and, for input-space methods, the heatmap itself (for pictures).
/// </summary>
/// <param name="Values">The values compared: <see cref="InputHeatmap.Raw"/> of a heatmap, or ŝ(x, y).</param>
/// <param name="Heatmap">The heatmap, for an input-space method; null for a profile.</param>
public sealed record Explanation(float[] Values, InputHeatmap? Heatmap = null);
