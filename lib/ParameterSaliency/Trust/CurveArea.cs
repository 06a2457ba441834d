namespace ParameterSaliency.Trust;

/// <summary>The area under a deletion or insertion curve (SPEC §9): the trapezoid rule on [0, 1].</summary>
public static class CurveArea
{
    /// <summary>
    /// ∫₀¹ of the curve through (i / (n − 1), <paramref name="scores"/>[i]), i = 0 … n − 1, by the trapezoid rule:
    /// (Σ scores − (first + last) / 2) / (n − 1).
    /// </summary>
    /// <param name="scores">Scores at evenly spaced fractions from 0 (nothing removed or revealed) to 1 (everything), at least 2.</param>
    public static double Trapezoid(IReadOnlyList<double> scores)
    {
        if (scores.Count < 2) throw new ArgumentException("A curve needs at least 2 points (the fractions 0 and 1).", nameof(scores));
        double area = 0;
        for (int i = 1; i < scores.Count; i++) area += (scores[i - 1] + scores[i]) / 2;
        return area / (scores.Count - 1);
    }
}
