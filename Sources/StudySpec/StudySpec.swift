// StudySpec module
