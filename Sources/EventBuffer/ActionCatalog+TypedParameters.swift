extension ActionCatalog {
    /// The name of a kind's typed parameters in ``ActionParameters``: the kind, capitalized
    /// (`waitForSelector` → `WaitForSelector`); `type` is `TypeText` (a nested `Type` would name the
    /// metatype).
    package static func typeName(of kind: BrowserAction.ActionType) -> String {
        kind == .type ? "TypeText" : kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
    }

    /// The Swift source of ``ActionParameters``: for each kind a struct of its parameters, typed,
    /// the required ones not optional, made from the declarations. Written to
    /// `Sources/EventBuffer/ActionParameters.swift` by the test that keeps it current
    /// (`UPDATE_ACTION_REFERENCE=1 swift test --filter ActionReferenceTests`).
    package static var typedParametersSource: String {
        var out = [
            "// Generated from ActionCatalog's declarations by ActionReferenceTests",
            "// (UPDATE_ACTION_REFERENCE=1 swift test --filter ActionReferenceTests). Do not edit.",
            "",
            "/// Each action kind's parameters as a Swift type: the required ones not optional. Made from the",
            "/// declarations in ``ActionCatalog``; `init?(_:)` reads them from an action's ``ActionParams`` (nil when",
            "/// a required one is missing) and ``ActionParametersType/params`` gives them back.",
            "public enum ActionParameters {",
        ]
        for declaration in declarations {
            let name = typeName(of: declaration.kind)
            let parameters = declaration.parameters
            out.append("    /// The parameters of a `\(declaration.kind)` action: \(declaration.summary)")
            out.append("    public struct \(name): ActionParametersType {")
            out.append("        /// `\(declaration.kind)`.")
            out.append("        public static let kind: BrowserAction.ActionType = .\(declaration.kind.rawValue)")
            for parameter in parameters {
                out.append("        /// \(parameter.summary)")
                out.append("        public var \(parameter.name): \(swiftType(parameter))")
            }
            let arguments = parameters.map { "\($0.name): \(swiftType($0))\($0.required ? "" : " = nil")" }.joined(separator: ", ")
            out.append("")
            out.append("        /// The parameters, in the order declared.")
            if parameters.isEmpty { out.append("        public init() {}") } else {
                out.append("        public init(\(arguments)) {")
                for parameter in parameters { out.append("            self.\(parameter.name) = \(parameter.name)") }
                out.append("        }")
            }
            out.append("")
            out.append("        /// Reads them from an action's parameters; nil when a required one is missing.")
            out.append("        public init?(_ params: ActionParams) {")
            for parameter in parameters where parameter.required {
                out.append("            guard let \(parameter.name) = params.\(parameter.name) else { return nil }")
            }
            for parameter in parameters {
                out.append("            self.\(parameter.name) = \(parameter.required ? parameter.name : "params.\(parameter.name)")")
            }
            out.append("        }")
            out.append("")
            out.append("        /// Them as an action's parameters.")
            out.append("        public var params: ActionParams {")
            if parameters.isEmpty {
                out.append("            ActionParams()")
            } else {
                out.append("            var params = ActionParams()")
                for parameter in parameters { out.append("            params.\(parameter.name) = \(parameter.name)") }
                out.append("            return params")
            }
            out.append("        }")
            out.append("    }")
            out.append("")
        }
        out.removeLast()
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private static func swiftType(_ parameter: ActionParameter) -> String {
        let base = switch parameter.type {
        case .string: "String"
        case .number: "Double"
        case .integer: "Int"
        case .boolean: "Bool"
        case .strings: "[String]"
        case .storageState: "StorageState"
        }
        return parameter.required ? base : base + "?"
    }
}

/// A kind's typed parameters (``ActionParameters``).
public protocol ActionParametersType: Sendable, Hashable {
    /// The kind they are the parameters of.
    static var kind: BrowserAction.ActionType { get }
    /// Reads them from an action's parameters; nil when a required one is missing.
    init?(_ params: ActionParams)
    /// Them as an action's parameters.
    var params: ActionParams { get }
}

extension BrowserAction {
    /// An action of the kind `parameters` belong to, asked by `source`.
    public init<P: ActionParametersType>(_ parameters: P, source: EventCause) {
        self.init(P.kind, parameters.params, source: source)
    }

    /// The action's parameters as the typed parameters of its kind; nil when it is of another kind
    /// or a required parameter is missing.
    public func parameters<P: ActionParametersType>(as type: P.Type) -> P? {
        self.type == P.kind ? P(params) : nil
    }
}
