using System.Net;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// Workshop exercises: a notebook asks a question, the reader writes an answer into a variable, and a check cell
/// says whether it is right, with a hint when it is not. The answer keys compute the truth from the reader's own
/// model and data (<see cref="AnswerKeys"/>), so the checks hold on any setting.
/// <example>
/// <code>
/// string? answer = null;   // your answer
/// Exercise.Check("01.1 the most salient layer", answer, AnswerKeys.MostSalientLayer(profiler.Layout, fw.Row(0)), "Average the filter profile per layer.")
/// // AnswerKeys.MostSalientLayer returns a predicate: any spelling of the right layer is accepted.
/// </code>
/// </example>
/// </summary>
public static class Exercise
{
    /// <summary>Where an answer stands.</summary>
    public enum Outcome
    {
        /// <summary>No answer yet (the variable is still null).</summary>
        NotYet,
        /// <summary>The answer is right.</summary>
        Right,
        /// <summary>The answer is wrong.</summary>
        Wrong,
    }

    /// <summary>The check's result; renders as a coloured line in a notebook.</summary>
    /// <param name="Title">Title of the exercise checked.</param>
    /// <param name="Outcome">Whether the answer is right, wrong or not given yet.</param>
    /// <param name="Message">What the reader is told, with a hint when the answer is not right.</param>
    public sealed record Verdict(string Title, Outcome Outcome, string Message)
    {
        /// <summary>True when the answer is right.</summary>
        public bool IsRight => Outcome == Outcome.Right;

        internal string ToHtml()
        {
            var (colour, mark) = Outcome switch
            {
                Outcome.Right => ("#1a7f37", "✔ right"),
                Outcome.Wrong => ("#b00020", "✘ not quite"),
                _ => ("#6e7781", "… not yet"),
            };
            return $"<div style=\"border-left:4px solid {colour};padding:4px 8px;margin:4px 0\"><b>{WebUtility.HtmlEncode(Title)}</b>: " +
                   $"<span style=\"color:{colour}\">{mark}</span>. {WebUtility.HtmlEncode(Message)}</div>";
        }

        /// <summary>"title: right/not quite/not yet. message".</summary>
        public override string ToString() => $"{Title}: {Outcome switch { Outcome.Right => "right", Outcome.Wrong => "not quite", _ => "not yet" }}. {Message}";
    }

    /// <summary>
    /// Compares a number, a choice or a pair (<typeparamref name="T"/> a value type) with the answer key's value. The key
    /// runs only once there is an answer, so an unsolved notebook costs nothing here.
    /// </summary>
    /// <typeparam name="T">Value type of the answer: a number, a choice or a pair.</typeparam>
    /// <param name="title">Exercise title shown in the verdict.</param>
    /// <param name="answer">Reader's answer; null while unanswered.</param>
    /// <param name="expected">Answer key giving the right value; run only once there is an answer.</param>
    /// <param name="hint">Hint shown when the answer is missing or wrong.</param>
    public static Verdict Check<T>(string title, T? answer, Func<T> expected, string hint) where T : struct
    {
        ArgumentNullException.ThrowIfNull(expected);
        return Judge(title, answer, () => EqualityComparer<T>.Default.Equals(answer!.Value, expected()), hint);
    }

    /// <summary>Accepts a value-type answer when <paramref name="isRight"/> says so (for questions with more than one right answer).</summary>
    /// <typeparam name="T">Value type of the answer: a number, a choice or a pair.</typeparam>
    /// <param name="title">Exercise title shown in the verdict.</param>
    /// <param name="answer">Reader's answer; null while unanswered.</param>
    /// <param name="isRight">Answer key judging the answer; run only once there is an answer.</param>
    /// <param name="hint">Hint shown when the answer is missing or wrong.</param>
    public static Verdict Check<T>(string title, T? answer, Func<T, bool> isRight, string hint) where T : struct
    {
        ArgumentNullException.ThrowIfNull(isRight);
        return Judge(title, answer, () => isRight(answer!.Value), hint);
    }

    /// <summary>Compares a text answer with the answer key's value, ignoring case and surrounding spaces.</summary>
    /// <param name="title">Exercise title shown in the verdict.</param>
    /// <param name="answer">Reader's answer; null while unanswered.</param>
    /// <param name="expected">Answer key giving the right text; run only once there is an answer.</param>
    /// <param name="hint">Hint shown when the answer is missing or wrong.</param>
    public static Verdict Check(string title, string? answer, Func<string> expected, string hint)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return Judge(title, answer, () => string.Equals(answer!.Trim(), expected().Trim(), StringComparison.OrdinalIgnoreCase), hint);
    }

    /// <summary>Accepts a text answer when <paramref name="isRight"/> says so (e.g. a layer named with or without ".weight").</summary>
    /// <param name="title">Exercise title shown in the verdict.</param>
    /// <param name="answer">Reader's answer (trimmed before judging); null while unanswered.</param>
    /// <param name="isRight">Answer key judging the trimmed answer; run only once there is an answer.</param>
    /// <param name="hint">Hint shown when the answer is missing or wrong.</param>
    public static Verdict Check(string title, string? answer, Func<string, bool> isRight, string hint)
    {
        ArgumentNullException.ThrowIfNull(isRight);
        return Judge(title, answer, () => isRight(answer!.Trim()), hint);
    }

    static Verdict Judge(string title, object? answer, Func<bool> isRight, string hint)
    {
        if (answer is null) return new(title, Outcome.NotYet, $"Write your answer into the variable above and run this cell again. Hint: {hint}");
        bool right;
        try
        {
            right = isRight();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            return new(title, Outcome.NotYet, $"This exercise cannot be checked on this setting: {e.Message}");
        }
        return right
            ? new(title, Outcome.Right, $"{answer} is right.")
            : new(title, Outcome.Wrong, $"{answer} is not it. Hint: {hint}");
    }
}
