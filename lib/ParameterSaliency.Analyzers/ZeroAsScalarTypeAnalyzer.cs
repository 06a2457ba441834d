using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ParameterSaliency.Analyzers;

/// <summary>
/// PS0002: a literal 0 that C# turns into a TorchSharp <c>ScalarType</c>.
/// C# converts the constant 0 to any enum, and TorchSharp has overloads such as <c>sum(ScalarType? type = null)</c>
/// beside <c>sum(long dim, ...)</c>; overload resolution picks the enum. So <c>t.sum(0)</c> is not the sum over
/// dimension 0 but the sum of every element as <c>ScalarType.Byte</c>. The explorer's first unit tally did exactly that
/// (a mean ŝ of 26.8 where the images' mean was 3.5; caught by its test). Flagged: any implicit conversion of a constant
/// to <c>ScalarType</c>; name the argument instead (<c>sum(dim: 0)</c>, <c>sum([0])</c>) or the type (<c>ScalarType.Byte</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ZeroAsScalarTypeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's identifier.</summary>
    public const string Id = "PS0002";

    static readonly DiagnosticDescriptor Rule = new(
        Id,
        "A constant becomes a TorchSharp ScalarType",
        "'{0}' is converted to ScalarType {1}, not used as a dimension or a number: TorchSharp's overload with a ScalarType parameter wins. Name the argument (e.g. sum(dim: 0)) or write the ScalarType.",
        "Correctness",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(OnConversion, OperationKind.Conversion);
    }

    static void OnConversion(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!conversion.IsImplicit || conversion.Operand.Type?.TypeKind == TypeKind.Enum || conversion.Operand.ConstantValue is not { HasValue: true, Value: not null }) return;
        var target = conversion.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : conversion.Type;
        if (target is not { TypeKind: TypeKind.Enum, Name: "ScalarType" } || target.ContainingNamespace?.ToDisplayString() != "TorchSharp") return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(), conversion.Operand.Syntax.ToString(), conversion.Operand.ConstantValue.Value));
    }
}
